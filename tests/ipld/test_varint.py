import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moto_forge.errors import CodecError
from moto_forge.ipld.varint import decode_uvarint, encode_uvarint, read_uvarint


@given(st.integers(min_value=0, max_value=(1 << 63) - 1))
def test_round_trip(value: int) -> None:
    raw = encode_uvarint(value)
    assert decode_uvarint(raw) == (value, len(raw))
    assert read_uvarint(io.BytesIO(raw)) == value


@pytest.mark.parametrize(
    ("value", "raw"), [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"), (0x0202, b"\x82\x04")]
)
def test_known_encodings(value: int, raw: bytes) -> None:
    assert encode_uvarint(value) == raw


@pytest.mark.parametrize("raw", [b"\x80", b"\x80\x00", b"\xff" * 10, b""])
def test_rejects_truncated_non_minimal_and_long(raw: bytes) -> None:
    with pytest.raises(CodecError):
        decode_uvarint(raw)


def test_stream_end_is_none_but_truncation_raises() -> None:
    assert read_uvarint(io.BytesIO(b"")) is None
    with pytest.raises(CodecError):
        read_uvarint(io.BytesIO(b"\x80"))


def test_out_of_range() -> None:
    with pytest.raises(CodecError):
        encode_uvarint(-1)
    with pytest.raises(CodecError):
        encode_uvarint(1 << 63)
