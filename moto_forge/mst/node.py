"""MST nodes: the in-memory form, the wire form, and loading with checks.

In memory a :class:`Node` keeps full keys in parallel lists (``keys``,
``values``, ``rights``) so lookups are one ``bisect``.  Children are
*pointers*: a loaded or freshly built :class:`Node`, a :class:`CID` not yet
loaded, or ``None`` for an empty subtree.  Nodes are never mutated once
built (operations copy the path they change); the only field set later is
``cid``, filled in once when the node is encoded.

Wire form (DAG-CBOR): ``{e: [{k: bytes, p: int, t: Link|null, v: Link}], l: Link|null}``
where ``p`` is the number of bytes shared with the previous key of the node
and ``k`` the rest.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Union

from moto_forge.cache import BoundedCache
from moto_forge.errors import CIDError, DagCborError, MstLimitError, MstStructureError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.blocks import BlockSource
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.mst.keys import MAX_KEY_BYTES, common_prefix_len, key_layer

MAX_NODE_ENTRIES = 1024
"""Most entries one node may hold.  Random keys give ~4 per node; (3/4)**1024
makes a natural 1 024-entry node impossible, but keys mined to share a layer
are cheap, and every write into a wide node rewrites all of it.  A write that
would build a wider node is refused with :class:`MstLimitError`."""

Pointer = Union["Node", CID, None]


class Node:
    """One MST node at ``layer``: ``left`` subtree, then (key, value, right subtree) entries."""

    __slots__ = ("cid", "keys", "layer", "left", "rights", "values")

    def __init__(
        self,
        layer: int,
        left: Pointer,
        keys: list[bytes],
        values: list[CID],
        rights: list[Pointer],
        cid: CID | None = None,
    ) -> None:
        if len(keys) > MAX_NODE_ENTRIES:
            raise MstLimitError(f"MST node at layer {layer} would hold {len(keys)} entries, limit {MAX_NODE_ENTRIES}")
        self.layer = layer
        self.left = left
        self.keys = keys
        self.values = values
        self.rights = rights
        self.cid = cid

    def is_empty(self) -> bool:
        """True for a node with no entries and no left subtree."""
        return not self.keys and self.left is None

    def search(self, key: bytes) -> tuple[int, bool]:
        """Index where ``key`` is or would go, and whether it is there."""
        i = bisect_left(self.keys, key)
        return i, i < len(self.keys) and self.keys[i] == key

    def gap(self, i: int) -> Pointer:
        """The subtree just before entry ``i`` (``left`` for 0; entry i-1's right otherwise)."""
        return self.left if i == 0 else self.rights[i - 1]

    def with_gap(self, i: int, ptr: Pointer) -> Node:
        """A copy with the subtree before entry ``i`` replaced."""
        if i == 0:
            return Node(self.layer, ptr, self.keys, self.values, self.rights)
        rights = list(self.rights)
        rights[i - 1] = ptr
        return Node(self.layer, self.left, self.keys, self.values, rights)

    def __repr__(self) -> str:
        return f"Node(layer={self.layer}, keys={len(self.keys)}, cid={self.cid})"


def normalise(node: Node) -> Node | None:
    """``None`` for an empty node (empty subtrees are null links), else the node."""
    return None if node.is_empty() else node


def pointer_cid(ptr: Pointer) -> CID | None:
    """The CID of an encoded pointer (callers encode children first)."""
    if ptr is None or isinstance(ptr, CID):
        return ptr
    if ptr.cid is None:
        raise MstStructureError("child node encoded before it has a CID")
    return ptr.cid


_NODE_HEAD = b"\xa2\x61e"  # {"e": ..., "l": ...}: keys in canonical order
_ENTRY_HEAD = b"\xa4\x61k"  # {"k", "p", "t", "v"}
_KEY_L, _KEY_P, _KEY_T, _KEY_V = b"\x61l", b"\x61p", b"\x61t", b"\x61v"


def encode_node(node: Node) -> bytes:
    """Wire form of ``node``; every child must already have its CID.

    The bytes :func:`dagcbor.encode` gives ``{"e": [{"k", "p", "t", "v"}...], "l"}``,
    written directly (every write encodes a path of nodes; the generic encoder's
    sorting and dispatch were most of that cost).  ``tests/mst`` and the atproto vectors
    in ``tests/interop`` check the bytes.
    """
    out = bytearray(_NODE_HEAD)
    head, link = dagcbor.write_head, dagcbor.write_link
    head(4, len(node.keys), out)
    prev = b""
    for key, value, right in zip(node.keys, node.values, node.rights, strict=True):
        p = common_prefix_len(prev, key)
        out += _ENTRY_HEAD
        head(2, len(key) - p, out)
        out += key[p:]
        out += _KEY_P
        head(0, p, out)
        out += _KEY_T
        link(pointer_cid(right), out)
        out += _KEY_V
        link(value, out)
        prev = key
    out += _KEY_L
    link(pointer_cid(node.left), out)
    return bytes(out)


def _link_or_null(value: object, what: str, cid: CID) -> CID | None:
    if value is None or isinstance(value, CID):
        return value
    raise MstStructureError(f"node {cid}: {what} is neither a link nor null")


Entry = tuple[bytes, int, "CID | None", CID]
"""One wire entry as parsed: ``(k, p, t, v)``."""

_LINK_HEAD = b"\xd8\x2a\x58\x25\x00"  # tag 42, a 37-byte string, the 0x00 multibase prefix


def _parse_generic(data: bytes, cid: CID) -> tuple[CID | None, list[Entry]]:
    """``(l, entries)`` of any strict DAG-CBOR node block; :class:`MstStructureError` (or
    :class:`MstLimitError`) for anything that is not ``{e: [{k, p, t, v}...], l}`` with
    those fields' types."""
    try:
        raw = dagcbor.decode(data)
    except DagCborError as exc:
        raise MstStructureError(f"node {cid} is not DAG-CBOR: {exc}") from exc
    if not isinstance(raw, dict) or set(raw) != {"e", "l"} or not isinstance(raw["e"], list):
        raise MstStructureError(f"node {cid} is not {{e, l}}")
    if len(raw["e"]) > MAX_NODE_ENTRIES:
        raise MstLimitError(f"node {cid} holds {len(raw['e'])} entries, limit {MAX_NODE_ENTRIES}")
    left = _link_or_null(raw["l"], "l", cid)
    entries: list[Entry] = []
    for entry in raw["e"]:
        if not isinstance(entry, dict) or set(entry) != {"k", "p", "t", "v"}:
            raise MstStructureError(f"node {cid}: entry is not {{k, p, t, v}}")
        suffix, p, value = entry["k"], entry["p"], entry["v"]
        if not isinstance(suffix, bytes) or type(p) is not int or not isinstance(value, CID):
            raise MstStructureError(f"node {cid}: entry field of the wrong type")
        entries.append((suffix, p, _link_or_null(entry["t"], "t", cid), value))
    return left, entries


def _parse_canonical(data: bytes) -> tuple[CID | None, list[Entry]] | None:
    """``(l, entries)`` of a node block laid out exactly as :func:`encode_node` writes one
    with 36-byte CIDs (every node moto_forge writes), or ``None`` for anything else (the
    caller then parses it with :func:`_parse_generic`, which accepts or refuses it).

    What this accepts is a subset of what :func:`_parse_generic` accepts, with the same
    result (``tests/mst/test_node.py`` checks both on encoded and on mutated nodes): every
    head must be the shortest form, every map key the one :func:`encode_node` writes in its
    canonical place, so an accepted block is canonical DAG-CBOR.  About three times faster
    (a node's whole decode: 17 against 44 us): every commit that follows another process's
    reads the nodes that process wrote."""
    try:
        if data[:3] != _NODE_HEAD:
            return None
        count, pos = _uint_head(data, 3, 4)
        if count > MAX_NODE_ENTRIES:
            return None
        entries: list[Entry] = []
        for _ in range(count):
            if data[pos : pos + 3] != _ENTRY_HEAD:
                return None
            ib = data[pos + 3]
            if 0x40 <= ib < 0x58:  # a byte string shorter than 24: the usual suffix
                length, pos = ib - 0x40, pos + 4
            else:
                length, pos = _uint_head(data, pos + 3, 2)
            end = pos + length
            suffix = data[pos:end]
            if data[end : end + 2] != _KEY_P:
                return None
            ib = data[end + 2]
            if ib < 24:  # a prefix length shorter than 24
                p, pos = ib, end + 3
            else:
                p, pos = _uint_head(data, end + 2, 0)
            if data[pos : pos + 2] != _KEY_T:
                return None
            if data[pos + 2] == 0xF6:
                right, pos = None, pos + 3
            else:
                right, pos = _link(data, pos + 2)
            if data[pos : pos + 2] != _KEY_V:
                return None
            value, pos = _link(data, pos + 2)
            if value is None:
                return None
            entries.append((suffix, p, right, value))
        if data[pos : pos + 2] != _KEY_L:
            return None
        left, pos = _link(data, pos + 2)
        return (left, entries) if pos == len(data) else None
    except (_NotCanonical, IndexError, CIDError):
        return None


class _NotCanonical(Exception):
    """Raised inside :func:`_parse_canonical` for a byte it does not take."""


def _uint_head(data: bytes, pos: int, major: int) -> tuple[int, int]:
    """The argument of the shortest-form head of ``major`` at ``pos`` (at most 16 bits) and
    the position after it."""
    ib = data[pos]
    if ib >> 5 != major:
        raise _NotCanonical
    info = ib & 0x1F
    if info < 24:
        return info, pos + 1
    if info == 24 and data[pos + 1] >= 24:
        return data[pos + 1], pos + 2
    if info == 25:
        value = (data[pos + 1] << 8) | data[pos + 2]
        if value >= 0x100:
            return value, pos + 3
    raise _NotCanonical


def _link(data: bytes, pos: int) -> tuple[CID | None, int]:
    """A ``null`` or a link to a 36-byte CID at ``pos``, and the position after it."""
    if data[pos] == 0xF6:
        return None, pos + 1
    if data[pos : pos + 5] != _LINK_HEAD:
        raise _NotCanonical
    cid, end = CID.parse(data, pos + 5)
    if end != pos + 41:  # (CID.parse never ends past the data: it raises)
        raise _NotCanonical
    return cid, end


def decode_node(data: bytes, cid: CID, layer: int | None) -> Node:
    """Parse and check a node block.

    ``layer`` is the layer the parent implies (``None`` for a root, whose layer
    is that of its first key).  Checks: shape, key order, minimal prefixes,
    every key at the node's layer, no subtrees below layer 0.
    """
    parsed = _parse_canonical(data)
    left, entries = parsed if parsed is not None else _parse_generic(data, cid)
    keys: list[bytes] = []
    values: list[CID] = []
    rights: list[Pointer] = []
    prev = b""
    for suffix, p, right, value in entries:
        if p < 0 or p > len(prev):
            raise MstStructureError(f"node {cid}: prefix length {p} out of range")
        key = prev[:p] + suffix
        if not 0 < len(key) <= MAX_KEY_BYTES:
            raise MstStructureError(f"node {cid}: key of {len(key)} bytes")
        if keys and key <= prev:
            raise MstStructureError(f"node {cid}: keys out of order at {key!r:.80}")
        if p != common_prefix_len(prev, key):
            raise MstStructureError(f"node {cid}: non-minimal prefix for {key!r:.80}")
        keys.append(key)
        values.append(value)
        rights.append(right)
        prev = key
    if layer is None:
        if not keys:
            if left is not None:
                raise MstStructureError(f"root {cid} has no entries but a subtree (not trimmed)")
            return Node(0, None, [], [], [], cid)
        layer = key_layer(keys[0])
    elif not keys and left is None:
        raise MstStructureError(f"node {cid} is empty below the root (should be a null link)")
    for key in keys:
        if key_layer(key) != layer:
            raise MstStructureError(f"node {cid}: key {key!r:.80} is not on layer {layer}")
    if layer == 0 and (left is not None or any(r is not None for r in rights)):
        raise MstStructureError(f"node {cid}: subtree below layer 0")
    return Node(layer, left, keys, values, rights, cid)


class NodeLoader:
    """Resolves pointers to nodes through a block source, with a bounded LRU cache.

    Safe to share between threads (nodes are immutable; the cache is locked).
    """

    def __init__(self, source: BlockSource, cache_size: int = 16384) -> None:
        self.source = source
        self._cache: BoundedCache[CID, Node] = BoundedCache(cache_size)

    def load(self, ptr: Node | CID, layer: int | None) -> Node:
        """The node behind ``ptr``, loaded and checked at ``layer`` (``None`` = root)."""
        if isinstance(ptr, Node):
            return ptr
        node = self._cache.get(ptr)
        if node is not None:
            if layer is not None and node.layer != layer:
                raise MstStructureError(f"node {ptr} is on layer {node.layer}, expected {layer}")
            return node
        if ptr.codec != DAG_CBOR:
            raise MstStructureError(f"MST link {ptr} is not dag-cbor")
        node = decode_node(self.source.get(ptr), ptr, layer)
        self._cache.put(ptr, node)
        return node

    def adopt(self, nodes: list[Node]) -> None:
        """Cache freshly committed nodes (so the next write need not read back what it just
        wrote); each must have its CID."""
        self._cache.put_many([(node.cid, node) for node in nodes if node.cid is not None])
