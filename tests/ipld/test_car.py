import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moto_forge.errors import (
    BlockHashMismatchError,
    CarError,
    CarHeaderError,
    CarSectionTooLargeError,
    CarTruncatedError,
)
from moto_forge.ipld import dagcbor
from moto_forge.ipld.car import CarReader, CarWriter, encode_car, encode_header, read_car
from moto_forge.ipld.cid import CID, DAG_CBOR, RAW
from moto_forge.ipld.varint import encode_uvarint

TESTDATA = Path(__file__).parent / "testdata"
HELLO = CID.decode("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq")
EMPTY_MST = CID.decode("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm")

blocks = st.lists(
    st.tuples(st.sampled_from([RAW, DAG_CBOR]), st.binary(max_size=300)).map(lambda t: (CID.compute(t[0], t[1]), t[1])),
    max_size=10,
)


@given(blocks, st.integers(min_value=0, max_value=3))
def test_round_trip_with_offsets(items: list[tuple[CID, bytes]], nroots: int) -> None:
    roots = [cid for cid, _ in items[:nroots]]
    raw = encode_car(roots, items)
    got_roots, got = read_car(raw)
    assert got_roots == roots
    assert [(b.cid, b.data) for b in got] == items
    for block in got:
        assert raw[block.offset : block.offset + block.length] == block.data


def test_writer_reports_data_offsets() -> None:
    buf = io.BytesIO()
    writer = CarWriter(buf, [HELLO])
    offset, length = writer.add(HELLO, b"hello")
    assert buf.getvalue()[offset : offset + length] == b"hello"
    assert writer.position == len(buf.getvalue())


def test_golden_valid_car() -> None:
    roots, got = read_car((TESTDATA / "valid.car").read_bytes())
    assert roots == [EMPTY_MST]
    assert [b.cid for b in got] == [HELLO, EMPTY_MST]
    assert got[0].data == b"hello"
    # 1-byte varint + 58-byte header, then a 1-byte section varint and a 36-byte CID.
    assert got[0].offset == 1 + 58 + 1 + 36


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("bad-flipped-byte.car", BlockHashMismatchError),
        ("bad-truncated.car", CarTruncatedError),
        ("bad-oversized-section.car", CarSectionTooLargeError),
        ("bad-header-version.car", CarHeaderError),
        ("bad-cid.car", CarError),
    ],
)
def test_golden_broken_cars(name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_car((TESTDATA / name).read_bytes())


def test_flipped_byte_names_the_block() -> None:
    with pytest.raises(BlockHashMismatchError) as info:
        read_car((TESTDATA / "bad-flipped-byte.car").read_bytes())
    assert info.value.cid == HELLO


def test_unverified_read_passes_bad_bytes_through() -> None:
    _, got = read_car((TESTDATA / "bad-flipped-byte.car").read_bytes(), verify=False)
    assert got[0].data == b"iello"


@pytest.mark.parametrize("raw", [b"", b"\x00", b"\xff\xff\xff\x7f", b"\x05\xa0"])
def test_bad_headers(raw: bytes) -> None:
    with pytest.raises(CarHeaderError):
        CarReader(io.BytesIO(raw))


def test_limits_are_configurable() -> None:
    raw = encode_car([], [(HELLO, b"hello")])
    with pytest.raises(CarSectionTooLargeError) as info:
        list(CarReader(io.BytesIO(raw), max_section_size=10))
    assert info.value.length == 41
    with pytest.raises(CarHeaderError):
        CarReader(io.BytesIO(raw), max_header_size=5)


@given(st.binary(max_size=200))
def test_reader_fails_only_with_car_or_block_errors(tail: bytes) -> None:
    raw = encode_car([HELLO], [(HELLO, b"hello")]) + tail
    with contextlib.suppress(CarError, BlockHashMismatchError):
        read_car(raw)


@given(st.lists(st.binary(max_size=16), max_size=4))
def test_the_header_written_directly_is_the_generic_encoders(seeds: list[bytes]) -> None:
    roots = [CID.compute(DAG_CBOR, seed) for seed in seeds]
    header = dagcbor.encode({"roots": roots, "version": 1})
    assert encode_header(roots) == encode_uvarint(len(header)) + header
