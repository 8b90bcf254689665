"""Strict, deterministic DAG-CBOR: the only encoding of structured blocks.

Data model (Python <-> CBOR):

========================  ===========================================
``None``                  simple value null (``0xf6``)
``bool``                  ``0xf4`` / ``0xf5``
``int``                   major 0 / 1, shortest head, -2**64 .. 2**64-1
``float``                 64-bit only (``0xfb``); NaN and infinities refused
``bytes``                 major 2 (never turned into a link, whatever it holds)
``str``                   major 3, valid UTF-8
``list``                  major 4, definite length
``dict`` (``str`` keys)   major 5, keys sorted length-first then bytewise
:class:`CID`              tag 42 around ``0x00 ‖ binary CID``
========================  ===========================================

Tricky bits:

* Links are only ever written from :class:`CID` objects.  A byte string that
  happens to parse as a CID stays a byte string (libipld's encoder guesses;
  this one never does), so user-controlled MST key suffixes are safe.
* The decoder accepts only the canonical form: shortest integer and length
  heads, sorted and unique map keys, definite lengths, no tags but 42, no
  undefined, no 16/32-bit floats, no trailing bytes.  Anything else raises
  :class:`DagCborError`, so ``encode(decode(b)) == b`` for every accepted ``b``.
* Lengths are checked against the remaining input before anything is
  allocated, and nesting is bounded by :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from moto_forge.errors import CIDError, DagCborError
from moto_forge.ipld.cid import CID

IPLDValue = None | bool | int | float | bytes | str | list[Any] | dict[str, Any] | CID

MAX_DEPTH = 256
"""Deepest nesting the decoder follows; deeper input is refused, not recursed into."""

_UINT64_MAX = (1 << 64) - 1


def _head(major: int, value: int, out: bytearray) -> None:
    mt = major << 5
    if value < 24:
        out.append(mt | value)
    elif value < 0x100:
        out.append(mt | 24)
        out.append(value)
    elif value < 0x10000:
        out.append(mt | 25)
        out += value.to_bytes(2, "big")
    elif value < 0x100000000:
        out.append(mt | 26)
        out += value.to_bytes(4, "big")
    elif value <= _UINT64_MAX:
        out.append(mt | 27)
        out += value.to_bytes(8, "big")
    else:
        raise DagCborError(f"integer {value} does not fit in 64 bits")


write_head = _head
"""``write_head(major, value, out)``: a canonical (shortest) CBOR head, for encoders of
fixed shapes that build their bytes directly (the MST node encoder)."""


def write_link(cid: CID | None, out: bytearray) -> None:
    """A link (tag 42, ``0x00 ‖ binary CID``) or ``null``, as :func:`encode` writes them."""
    if cid is None:
        out.append(0xF6)
        return
    raw = cid._bytes
    out.append(0xD8)
    out.append(42)
    _head(2, len(raw) + 1, out)
    out.append(0)
    out += raw


def _sort_key(item: tuple[bytes, Any]) -> tuple[int, bytes]:
    return (len(item[0]), item[0])


def _encode(value: Any, out: bytearray, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise DagCborError(f"value nested deeper than {MAX_DEPTH}")
    t = type(value)
    if t is str:
        data = value.encode("utf-8")
        _head(3, len(data), out)
        out += data
    elif t is bytes or t is bytearray or t is memoryview:
        _head(2, len(value), out)
        out += value
    elif t is int:
        if value >= 0:
            _head(0, value, out)
        else:
            _head(1, -1 - value, out)
    elif t is CID:
        raw = bytes(value)
        out.append(0xD8)
        out.append(42)
        _head(2, len(raw) + 1, out)
        out.append(0)
        out += raw
    elif t is dict:
        items = []
        for k, v in value.items():
            if type(k) is not str:
                raise DagCborError(f"map keys must be strings, got {type(k).__name__}")
            items.append((k.encode("utf-8"), v))
        items.sort(key=_sort_key)
        _head(5, len(items), out)
        for kb, v in items:
            _head(3, len(kb), out)
            out += kb
            _encode(v, out, depth + 1)
    elif t is list or t is tuple:
        _head(4, len(value), out)
        for v in value:
            _encode(v, out, depth + 1)
    elif value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif t is float:
        if math.isnan(value) or math.isinf(value):
            raise DagCborError(f"DAG-CBOR cannot hold {value}")
        out.append(0xFB)
        out += struct.pack(">d", value)
    else:
        raise DagCborError(f"cannot encode {t.__name__} as DAG-CBOR")


def encode(value: Any) -> bytes:
    """Encode ``value`` (see the data model above) as canonical DAG-CBOR."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


class _Decoder:
    __slots__ = ("binary_keys", "buf", "end", "pos")

    def __init__(self, buf: bytes, binary_keys: bool = False) -> None:
        self.buf = buf
        self.pos = 0
        self.end = len(buf)
        self.binary_keys = binary_keys

    def fail(self, why: str) -> DagCborError:
        return DagCborError(f"{why} at byte {self.pos}")

    def head(self) -> tuple[int, int]:
        """Read an initial byte and its argument; enforce the shortest form."""
        if self.pos >= self.end:
            raise self.fail("unexpected end of input")
        ib = self.buf[self.pos]
        self.pos += 1
        major = ib >> 5
        info = ib & 0x1F
        if info < 24:
            return major, info
        if info > 27:
            raise self.fail(f"indefinite length or reserved info {info} (major {major})")
        size = 1 << (info - 24)
        if self.pos + size > self.end:
            raise self.fail("truncated integer head")
        value = int.from_bytes(self.buf[self.pos : self.pos + size], "big")
        self.pos += size
        if major != 7:
            minimum = 24 if info == 24 else 1 << (8 * (size // 2))
            if value < minimum:
                raise self.fail("non-canonical (not shortest) integer or length head")
        return major, value if major != 7 else info << 64 | value

    def take(self, length: int) -> bytes:
        if length > self.end - self.pos:
            raise self.fail(f"length {length} runs past the end of input")
        data = self.buf[self.pos : self.pos + length]
        self.pos += length
        return data

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH}")
        start = self.pos
        major, arg = self.head()
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major == 2:
            return self.take(arg)
        if major == 3:
            raw = self.take(arg)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self.fail("invalid UTF-8 in text string") from exc
        if major == 4:
            if arg > self.end - self.pos:
                raise self.fail(f"array of {arg} items runs past the end of input")
            return [self.value(depth + 1) for _ in range(arg)]
        if major == 5:
            if arg > self.end - self.pos:
                raise self.fail(f"map of {arg} entries runs past the end of input")
            result: dict[str, Any] = {}
            prev: bytes | None = None
            for _ in range(arg):
                kmajor, klen = self.head()
                if kmajor != 3:
                    raise self.fail("map key is not a text string")
                kraw = self.take(klen)
                if prev is not None and (len(prev), prev) >= (len(kraw), kraw):
                    raise self.fail("map keys not in canonical order or duplicated")
                prev = kraw
                try:
                    key = kraw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    if not self.binary_keys:
                        raise self.fail("invalid UTF-8 in map key") from exc
                    key = kraw.decode("utf-8", "surrogateescape")
                result[key] = self.value(depth + 1)
            return result
        if major == 6:
            if arg != 42:
                raise self.fail(f"tag {arg} is not allowed (only 42)")
            bmajor, blen = self.head()
            if bmajor != 2:
                raise self.fail("tag 42 does not wrap a byte string")
            raw = self.take(blen)
            if not raw or raw[0] != 0:
                raise self.fail("tag 42 bytes do not start with the 0x00 multibase prefix")
            try:
                return CID.from_bytes(raw[1:])
            except CIDError as exc:
                raise DagCborError(f"invalid CID in tag 42 at byte {start}: {exc}") from exc
        # major 7
        ib = self.buf[start] & 0x1F
        if ib == 20:
            return False
        if ib == 21:
            return True
        if ib == 22:
            return None
        if ib == 27:
            (f,) = struct.unpack(">d", self.buf[start + 1 : start + 9])
            if math.isnan(f) or math.isinf(f):
                raise self.fail("NaN and infinities are not allowed")
            return f
        self.pos = start
        raise self.fail(f"simple value or float width 0x{self.buf[start]:02x} is not allowed")


def decode(data: bytes | bytearray | memoryview, *, binary_keys: bool = False) -> Any:
    """Decode one canonical DAG-CBOR value spanning all of ``data``.

    Raises :class:`DagCborError` for anything that is not strict DAG-CBOR.  With
    ``binary_keys``, map keys that are not valid UTF-8 decode with ``surrogateescape``
    (``key.encode("utf-8", "surrogateescape")`` gives the bytes back) instead of
    failing: the Go indexing-service keys a query result's ``indexes`` by binary
    context IDs.  Only for reading other services' answers, never our own data.
    """
    dec = _Decoder(bytes(data), binary_keys)
    value = dec.value(0)
    if dec.pos != dec.end:
        raise DagCborError(f"{dec.end - dec.pos} trailing bytes after the value at byte {dec.pos}")
    return value
