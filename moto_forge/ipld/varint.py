"""Unsigned LEB128 varints as multiformats uses them (at most 9 bytes, minimal form)."""

from __future__ import annotations

from typing import BinaryIO

from moto_forge.errors import CodecError

MAX_VARINT_BYTES = 9
"""multiformats caps varints at 9 bytes (63 bits); longer ones are rejected."""


def encode_uvarint(value: int) -> bytes:
    """Encode a non-negative integer below 2**63 as a minimal uvarint."""
    if value < 0 or value >= 1 << 63:
        raise CodecError(f"uvarint out of range: {value}")
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_uvarint(buf: bytes | memoryview, pos: int = 0) -> tuple[int, int]:
    """Decode a uvarint at ``buf[pos:]``; return ``(value, next position)``.

    Raises :class:`CodecError` on truncation, non-minimal encodings and
    values longer than :data:`MAX_VARINT_BYTES`.
    """
    value = 0
    shift = 0
    for i in range(MAX_VARINT_BYTES):
        if pos + i >= len(buf):
            raise CodecError("truncated uvarint")
        byte = buf[pos + i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 and i > 0:
                raise CodecError("non-minimal uvarint")
            return value, pos + i + 1
        shift += 7
    raise CodecError(f"uvarint longer than {MAX_VARINT_BYTES} bytes")


def read_uvarint(stream: BinaryIO) -> int | None:
    """Read one uvarint from a stream; ``None`` at a clean end of stream.

    Raises :class:`CodecError` if the stream ends inside the varint.
    """
    value = 0
    shift = 0
    for i in range(MAX_VARINT_BYTES):
        b = stream.read(1)
        if not b:
            if i == 0:
                return None
            raise CodecError("truncated uvarint")
        byte = b[0]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 and i > 0:
                raise CodecError("non-minimal uvarint")
            return value
        shift += 7
    raise CodecError(f"uvarint longer than {MAX_VARINT_BYTES} bytes")
