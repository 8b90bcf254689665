"""Body layouts: how an object's bytes map onto raw chunk blocks.

``fixed-v1`` (ms3t's format, extended past 8 192 chunks)
    Body root = FixedChunkerIndex ``{cs: int, c: [Link]}``: chunk size and the
    chunk CIDs in order (``[]`` for an empty body).  An index holds at most
    :data:`INDEX_FANOUT` links.  Larger bodies get levels: a node with
    ``l: n`` (n >= 1) links to level-(n-1) indexes, each of which covers
    exactly ``INDEX_FANOUT ** n`` chunks except the last.  Nodes of level 0
    omit ``l`` and so are byte-identical to ms3t's.  Two levels cover 64 TiB
    of 1 MiB chunks, past S3's 5 TiB.

``concat-v1`` (multipart uploads)
    Body root = ``{p: [{s: int, c: Link}]}``: the parts in order, each its
    size and the root of its own ``fixed-v1`` index.  Completing an upload
    builds this one block; no chunk is copied or rehashed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from moto_forge.cache import BoundedCache
from moto_forge.errors import DagCborError, ManifestError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.blocks import BlockSource
from moto_forge.ipld.cid import CID, DAG_CBOR, RAW

FIXED_V1 = "fixed-v1"
CONCAT_V1 = "concat-v1"

INDEX_FANOUT = 8192
"""Links per index node: 8 192 x 38 bytes ~ 304 KiB, well under a CAR section."""

MAX_PARTS = 10_000
"""S3's limit on the parts of one multipart upload."""

BlockSink = Callable[[CID, bytes], None]


def _put_dag(sink: BlockSink, value: object) -> CID:
    data = dagcbor.encode(value)
    cid = CID.compute(DAG_CBOR, data)
    sink(cid, data)
    return cid


class FixedIndexBuilder:
    """Builds a ``fixed-v1`` index as chunk CIDs arrive, holding at most one
    node's worth of links per level in memory."""

    def __init__(self, chunk_size: int, sink: BlockSink) -> None:
        self.chunk_size = chunk_size
        self._sink = sink
        self._levels: list[list[CID]] = [[]]

    def _emit(self, level: int, links: list[CID]) -> CID:
        node: dict[str, object] = {"cs": self.chunk_size, "c": links}
        if level:
            node["l"] = level
        return _put_dag(self._sink, node)

    def add(self, cid: CID) -> None:
        """Record the next chunk (flushing full nodes first)."""
        level = 0
        while len(self._levels[level]) == INDEX_FANOUT:
            node_cid = self._emit(level, self._levels[level])
            self._levels[level] = []
            if level + 1 == len(self._levels):
                self._levels.append([])
            self._levels[level + 1].append(node_cid)
            level += 1
        self._levels[0].append(cid)

    def finish(self) -> CID:
        """Write the remaining nodes and return the index root."""
        for level in range(len(self._levels) - 1):
            node_cid = self._emit(level, self._levels[level])
            self._levels[level + 1].append(node_cid)
        top = len(self._levels) - 1
        return self._emit(top, self._levels[top])


@dataclass(frozen=True, slots=True)
class Span:
    """Bytes ``[start, end)`` of one chunk."""

    cid: CID
    start: int
    end: int


def _decode(source: BlockSource, cid: CID, what: str) -> dict[str, object]:
    if cid.codec != DAG_CBOR:
        raise ManifestError(f"{what} {cid} is not dag-cbor")
    try:
        value = dagcbor.decode(source.get(cid))
    except DagCborError as exc:
        raise ManifestError(f"{what} {cid}: {exc}") from exc
    if not isinstance(value, dict):
        raise ManifestError(f"{what} {cid} is not a map")
    return value


FixedNode = tuple[int, Sequence[CID], int]
"""A ``fixed-v1`` index node, checked: ``(cs, c, l)``."""


def _fixed_node(source: BlockSource, cid: CID) -> FixedNode:
    node = _decode(source, cid, "chunk index")
    cs, links, level = node.get("cs"), node.get("c"), node.get("l", 0)
    if type(cs) is not int or cs <= 0 or type(level) is not int or level < 0:
        raise ManifestError(f"chunk index {cid}: bad cs or l")
    if not isinstance(links, list) or len(links) > INDEX_FANOUT or not all(isinstance(c, CID) for c in links):
        raise ManifestError(f"chunk index {cid}: c is not a list of at most {INDEX_FANOUT} links")
    return cs, links, level


class FixedNodeMemo:
    """Decoded and checked ``fixed-v1`` index nodes of small bodies, by CID, for the read
    path (every GET of a small object needs its one-link node).  Content-addressed: a node
    decoded from a block its source verified is that node for good.  Only nodes of at most
    :attr:`MAX_LINKS` links are kept, so each entry stays small (measured: 0.4 KB for a
    one-chunk body, 3.6 KB for sixteen chunks)."""

    MAX_LINKS = 16

    def __init__(self, size: int = 8192) -> None:
        self._nodes: BoundedCache[CID, FixedNode] = BoundedCache(size)

    def node(self, source: BlockSource, cid: CID) -> FixedNode:
        """The node ``cid``: remembered, or read from ``source`` (and remembered if small)."""
        node = self._nodes.get(cid)
        if node is None:
            cs, links, level = _fixed_node(source, cid)
            node = (cs, tuple(links), level)
            if len(links) <= self.MAX_LINKS:
                self._nodes.put(cid, node)
        return node


def _fixed_spans(
    source: BlockSource, root: CID, start: int, end: int, memo: FixedNodeMemo | None = None
) -> Iterator[Span]:
    """Chunks covering ``[start, end)`` of a ``fixed-v1`` body, reading only the index nodes
    needed (through ``memo`` when given)."""
    if start >= end:
        return
    cs, links, level = _fixed_node(source, root) if memo is None else memo.node(source, root)
    if level == 0:
        first, last = start // cs, (end - 1) // cs
        if last >= len(links):
            raise ManifestError(f"chunk index {root} has {len(links)} chunks, range needs {last + 1}")
        for i in range(first, last + 1):
            cid = links[i]
            if cid.codec != RAW:
                raise ManifestError(f"chunk {cid} is not raw")
            lo = max(start - i * cs, 0)
            hi = min(end - i * cs, cs)
            yield Span(cid, lo, hi)
        return
    span = cs * INDEX_FANOUT**level
    for i in range(start // span, (end - 1) // span + 1):
        if i >= len(links):
            raise ManifestError(f"chunk index {root} too short for the range")
        yield from _fixed_spans(source, links[i], max(start - i * span, 0), min(end - i * span, span), memo)


def read_parts(source: BlockSource, root: CID) -> list[tuple[int, CID]]:
    """The ``(size, fixed-v1 root)`` parts of a ``concat-v1`` body."""
    node = _decode(source, root, "part list")
    parts = node.get("p")
    if not isinstance(parts, list) or len(parts) > MAX_PARTS:
        raise ManifestError(f"part list {root}: p is not a list of at most {MAX_PARTS} parts")
    out = []
    for part in parts:
        if (
            not isinstance(part, dict)
            or type(part.get("s")) is not int
            or not isinstance(part.get("c"), CID)
            or not set(part) <= {"s", "c", "k"}
            or not isinstance(part.get("k", ""), str)
        ):
            raise ManifestError(f"part list {root}: part is not {{s, c, k?}}")
        out.append((part["s"], part["c"]))
    return out


def part_checksums(source: BlockSource, root: CID) -> list[str | None]:
    """Each part's ``k`` (its checksum in the manifest's algorithm, for ``COMPOSITE``
    checksums), ``None`` where a part has none."""
    read_parts(source, root)  # the same checks: p is a list of {s, c, k?} maps
    node = _decode(source, root, "part list")
    parts = node["p"]
    assert isinstance(parts, list)
    return [part.get("k") for part in parts]


def write_parts(parts: Sequence[tuple[int, CID]], sink: BlockSink, checksums: Sequence[str] = ()) -> CID:
    """Write a ``concat-v1`` part list and return its CID; ``checksums`` (one per part, or
    none) become the parts' ``k``."""
    if not parts or len(parts) > MAX_PARTS:
        raise ManifestError(f"a multipart body has 1..{MAX_PARTS} parts, got {len(parts)}")
    if checksums and len(checksums) != len(parts):
        raise ManifestError(f"{len(checksums)} part checksums for {len(parts)} parts")
    entries: list[dict[str, Any]] = [{"s": size, "c": cid} for size, cid in parts]
    for entry, value in zip(entries, checksums, strict=False):
        entry["k"] = value
    return _put_dag(sink, {"p": entries})


def spans(
    source: BlockSource, fmt: str, root: CID, start: int, end: int, memo: FixedNodeMemo | None = None
) -> Iterator[Span]:
    """Chunk spans covering bytes ``[start, end)`` of a body in format ``fmt`` (index nodes
    through ``memo`` when given)."""
    if fmt == FIXED_V1:
        yield from _fixed_spans(source, root, start, end, memo)
    elif fmt == CONCAT_V1:
        offset = 0
        for size, part_root in read_parts(source, root):
            lo, hi = max(start - offset, 0), min(end - offset, size)
            if lo < hi:
                yield from _fixed_spans(source, part_root, lo, hi, memo)
            offset += size
            if offset >= end:
                break
    else:
        raise ManifestError(f"unknown body format {fmt!r}")


def iter_links(source: BlockSource, fmt: str, root: CID) -> Iterator[CID]:
    """Every block CID a body reaches (index nodes, part lists, chunks), for export and fsck."""
    yield root
    if fmt == CONCAT_V1:
        for _, part_root in read_parts(source, root):
            yield from iter_links(source, FIXED_V1, part_root)
        return
    if fmt != FIXED_V1:
        raise ManifestError(f"unknown body format {fmt!r}")
    _, links, level = _fixed_node(source, root)
    for cid in links:
        if level:
            yield from iter_links(source, FIXED_V1, cid)
        else:
            yield cid
