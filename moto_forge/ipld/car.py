"""CARv1: streaming writer and verifying reader.

Layout: ``uvarint(len(header)) ‖ header`` where the header is the DAG-CBOR map
``{roots: [CID, ...], version: 1}``, then sections
``uvarint(len(cid) + len(data)) ‖ cid ‖ data``.

The reader exposes, for each block, the absolute offset and the length of
its *data* (after the varint and the CID): exactly the ``[offset, length]``
pair the sharded-DAG index records.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from moto_forge.errors import (
    CarError,
    CarHeaderError,
    CarSectionTooLargeError,
    CarTruncatedError,
    CIDError,
    CodecError,
    DagCborError,
)
from moto_forge.ipld import dagcbor
from moto_forge.ipld.cid import CID
from moto_forge.ipld.varint import encode_uvarint, read_uvarint

MAX_HEADER_SIZE = 64 * 1024
"""Largest header accepted. Ours hold one root (~40 bytes); 64 KiB leaves room
for ~1 600 roots from other tools while refusing a varint that claims gigabytes."""

MAX_SECTION_SIZE = 8 * 1024 * 1024
"""Largest section (CID + block) accepted: go-car's default. Our largest blocks
are 1 MiB chunks (4 MiB at the configurable maximum) and sub-MiB index nodes."""


class Writable(Protocol):
    def write(self, data: bytes | memoryview, /) -> int: ...


@dataclass(frozen=True, slots=True)
class CarBlock:
    """One block read from a CAR, with where its data sits in the stream."""

    cid: CID
    data: bytes
    offset: int
    """Absolute offset of the block data (after the section varint and the CID)."""

    @property
    def length(self) -> int:
        return len(self.data)


_HEADER_HEAD = b"\xa2\x65roots"  # {"roots": [...], "version": 1}: keys by length, then bytes
_HEADER_TAIL = b"\x67version\x01"


def encode_header(roots: Iterable[CID]) -> bytes:
    """The length-prefixed CARv1 header for ``roots``: the bytes :func:`dagcbor.encode`
    gives for ``{"roots": [...], "version": 1}``, written directly (two per write)."""
    links = list(roots)
    header = bytearray(_HEADER_HEAD)
    dagcbor.write_head(4, len(links), header)
    for link in links:
        dagcbor.write_link(link, header)
    header += _HEADER_TAIL
    return encode_uvarint(len(header)) + bytes(header)


class CarWriter:
    """Writes a CARv1 to a binary stream, section by section.

    ``add`` returns the absolute ``(offset, length)`` of the block data, as the
    sharded-DAG index needs.  The writer does not verify or deduplicate:
    callers hand it blocks they have just hashed themselves.
    """

    def __init__(self, stream: Writable, roots: Iterable[CID]) -> None:
        self._stream = stream
        header = encode_header(roots)
        stream.write(header)
        self.position = len(header)

    def add(self, cid: CID, data: bytes | memoryview) -> tuple[int, int]:
        cid_bytes = bytes(cid)
        prefix = encode_uvarint(len(cid_bytes) + len(data)) + cid_bytes
        self._stream.write(prefix)
        self._stream.write(data)
        offset = self.position + len(prefix)
        self.position = offset + len(data)
        return offset, len(data)


def encode_car(roots: Iterable[CID], blocks: Iterable[tuple[CID, bytes]]) -> bytes:
    """A whole CARv1 in memory (for small CARs: headers, tests, indexes)."""
    buf = io.BytesIO()
    writer = CarWriter(buf, roots)
    for cid, data in blocks:
        writer.add(cid, data)
    return buf.getvalue()


def _read_exact(stream: BinaryIO, n: int, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise CarTruncatedError(f"CAR ends inside {what}: wanted {n} bytes, got {len(data)}")
    return data


class CarReader:
    """Reads a CARv1 stream, verifying every block against its CID.

    The header is read on construction (:attr:`roots`); iterate for the
    blocks.  Raises :class:`CarHeaderError`, :class:`CarTruncatedError`,
    :class:`CarSectionTooLargeError`, :class:`CarError` for a malformed CID,
    and :class:`BlockHashMismatchError` (naming the CID) for a block whose
    bytes do not match.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        verify: bool = True,
        max_header_size: int = MAX_HEADER_SIZE,
        max_section_size: int = MAX_SECTION_SIZE,
    ) -> None:
        self._stream = stream
        self._verify = verify
        self._max_section = max_section_size
        try:
            length = read_uvarint(stream)
        except CodecError as exc:
            raise CarHeaderError(f"bad header length: {exc}") from exc
        if length is None:
            raise CarHeaderError("empty stream: no CAR header")
        if length == 0 or length > max_header_size:
            raise CarHeaderError(f"header length {length} outside 1..{max_header_size}")
        raw = stream.read(length)
        if len(raw) != length:
            raise CarHeaderError(f"CAR ends inside the header: wanted {length} bytes, got {len(raw)}")
        try:
            header = dagcbor.decode(raw)
        except DagCborError as exc:
            raise CarHeaderError(f"header is not DAG-CBOR: {exc}") from exc
        if not isinstance(header, dict) or header.get("version") != 1:
            raise CarHeaderError(f"not a CARv1 header: {header!r:.200}")
        roots = header.get("roots")
        if not isinstance(roots, list) or not all(isinstance(r, CID) for r in roots):
            raise CarHeaderError("header roots is not a list of CIDs")
        self.roots: list[CID] = roots
        self.position = len(encode_uvarint(length)) + length

    def __iter__(self) -> Iterator[CarBlock]:
        stream = self._stream
        while True:
            section_start = self.position
            try:
                length = read_uvarint(stream)
            except CodecError as exc:
                raise CarTruncatedError(f"bad section length at offset {section_start}: {exc}") from exc
            if length is None:
                return
            if length > self._max_section:
                raise CarSectionTooLargeError(section_start, length, self._max_section)
            body = _read_exact(stream, length, f"the section at offset {section_start}")
            try:
                cid, cid_end = CID.parse(body, 0)
            except CIDError as exc:
                raise CarError(f"bad CID in the section at offset {section_start}: {exc}") from exc
            data = body[cid_end:]
            if self._verify:
                cid.verify(data)
            varint_len = len(encode_uvarint(length))
            self.position = section_start + varint_len + length
            yield CarBlock(cid, data, section_start + varint_len + cid_end)


def read_car(data: bytes, *, verify: bool = True) -> tuple[list[CID], list[CarBlock]]:
    """Read a whole in-memory CAR; return its roots and blocks."""
    reader = CarReader(io.BytesIO(data), verify=verify)
    return reader.roots, list(reader)


def read_variant_car(data: bytes, variant: str, *, binary_keys: bool = False) -> tuple[CID, Any, dict[CID, bytes]]:
    """Read a CAR whose single root block is ``{variant: body}`` (the shape ucanto and
    Storacha use for messages, archives and indexes); return the root CID, ``body`` and
    every block by CID (all verified).  :class:`CarHeaderError` if it has another shape.
    ``binary_keys`` is passed to :func:`dagcbor.decode` for the root block."""
    roots, blocks = read_car(data)
    by_cid = {b.cid: b.data for b in blocks}
    if len(roots) != 1 or roots[0] not in by_cid:
        raise CarHeaderError(f"a {variant} CAR has exactly one root block, and holds it")
    root = dagcbor.decode(by_cid[roots[0]], binary_keys=binary_keys)
    if not isinstance(root, dict) or variant not in root:
        raise CarHeaderError(f"the root block is not {{{variant!r}: ...}}")
    return roots[0], root[variant], by_cid
