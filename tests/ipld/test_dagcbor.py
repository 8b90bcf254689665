import struct
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from moto_forge.errors import DagCborError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.cid import CID, DAG_CBOR, RAW

cids = st.builds(lambda codec, data: CID.compute(codec, data), st.sampled_from([RAW, DAG_CBOR]), st.binary(max_size=8))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(1 << 64), max_value=(1 << 64) - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.binary(max_size=64),
    st.text(max_size=32),
    cids,
)
ipld_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@given(ipld_values)
def test_round_trip(value: Any) -> None:
    raw = dagcbor.encode(value)
    assert dagcbor.decode(raw) == value
    assert dagcbor.encode(dagcbor.decode(raw)) == raw


@given(st.integers(min_value=0, max_value=(1 << 32) - 1))
def test_non_shortest_integer_heads_are_rejected(value: int) -> None:
    widened = b"\x1b" + value.to_bytes(8, "big")  # the 8-byte form, too long for any value < 2**32
    with pytest.raises(DagCborError):
        dagcbor.decode(widened)


@given(st.dictionaries(st.text(min_size=1, max_size=6), st.integers(-1000, 1000), min_size=2, max_size=6))
def test_unsorted_map_keys_are_rejected(value: dict[str, int]) -> None:
    raw = bytearray(dagcbor.encode(value))
    items = sorted(value.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
    reversed_map = bytes([0xA0 | len(items)]) + b"".join(
        dagcbor.encode(k) + dagcbor.encode(v) for k, v in reversed(items)
    )
    assume(len(items) < 24 and reversed_map != bytes(raw))
    with pytest.raises(DagCborError):
        dagcbor.decode(reversed_map)


@given(st.binary(max_size=40))
def test_bytes_that_look_like_a_cid_stay_bytes(tail: bytes) -> None:
    looks_like_cid = bytes(CID.compute(RAW, tail))
    for raw in (looks_like_cid, b"\x00" + looks_like_cid):
        assert dagcbor.decode(dagcbor.encode(raw)) == raw
        assert dagcbor.encode(raw)[0] >> 5 == 2  # major type 2, never tag 42


def test_link_encoding() -> None:
    cid = CID.compute(RAW, b"hello")
    raw = dagcbor.encode(cid)
    assert raw[:2] == b"\xd8\x2a"
    assert raw[2:4] == b"\x58\x25" and raw[4] == 0
    assert dagcbor.decode(raw) == cid


def test_map_key_order_is_length_first() -> None:
    assert dagcbor.encode({"bb": 1, "a": 2, "c": 3}) == b"\xa3\x61a\x02\x61c\x03\x62bb\x01"


def test_floats_are_64_bit() -> None:
    assert dagcbor.encode(1.5) == b"\xfb" + struct.pack(">d", 1.5)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"\x18\x05", "integer 5 in the 1-byte form"),
        (b"\x5f\x41a\xff", "indefinite byte string"),
        (b"\x9f\x01\xff", "indefinite array"),
        (b"\xa2\x61a\x01\x61a\x02", "duplicate key"),
        (b"\xa1\x01\x02", "integer map key"),
        (b"\xc1\x01", "tag 1"),
        (b"\xd8\x2a\x45\x01\x55\x12\x00\x00", "tag 42 without the 0x00 prefix"),
        (b"\xd8\x2a\x61a", "tag 42 around a text string"),
        (b"\xf7", "undefined"),
        (b"\xf9\x3c\x00", "16-bit float"),
        (b"\xfa\x3f\x80\x00\x00", "32-bit float"),
        (b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00", "NaN"),
        (b"\xf8\x20", "simple value 32"),
        (b"\x01\x01", "trailing bytes"),
        (b"\x62\xc3\x28", "invalid UTF-8"),
        (b"\x5a\xff\xff\xff\xff", "length beyond the input"),
        (b"\x9b\x00\x00\x00\x01\x00\x00\x00\x00", "huge array claim"),
        (b"", "empty input"),
        (b"\x81" * 300 + b"\x00", "nested too deep"),
    ],
)
def test_rejects_non_canonical_or_invalid(raw: bytes, why: str) -> None:
    with pytest.raises(DagCborError):
        dagcbor.decode(raw)


@pytest.mark.parametrize("value", [{1: 2}, float("nan"), float("inf"), 1 << 64, -(1 << 64) - 1, object(), {"a": set()}])
def test_encoder_refuses_values_outside_the_data_model(value: Any) -> None:
    with pytest.raises(DagCborError):
        dagcbor.encode(value)


@given(st.binary(max_size=64))
def test_decoder_never_raises_anything_but_dagcbor_error(raw: bytes) -> None:
    try:
        value = dagcbor.decode(raw)
    except DagCborError:
        return
    assert dagcbor.encode(value) == raw


def test_binary_map_keys_only_when_asked() -> None:
    """The Go indexing-service keys `indexes` by binary context IDs (invalid UTF-8)."""
    raw = b"\xa1\x62\xff\x01\x07"  # {text key 0xff 0x01: 7}
    with pytest.raises(DagCborError, match="invalid UTF-8 in map key"):
        dagcbor.decode(raw)
    (key,) = dagcbor.decode(raw, binary_keys=True)
    assert key.encode("utf-8", "surrogateescape") == b"\xff\x01"
    assert dagcbor.decode(raw, binary_keys=True)[key] == 7
