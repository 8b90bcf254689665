"""The MST facade: an immutable tree value with get, put, delete, iteration, diff, commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from moto_forge.errors import InvalidKeyError
from moto_forge.ipld.blocks import BlockSource
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.mst import build as _build
from moto_forge.mst.insert import grow, insert
from moto_forge.mst.keys import key_bytes, key_layer
from moto_forge.mst.node import Node, NodeLoader, encode_node
from moto_forge.mst.remove import remove, trim
from moto_forge.mst.walk import Change, _Sub, diff, iter_items


class MST:
    """One version of a tree.  ``put`` and ``delete`` return new trees that
    share every unchanged node with this one; nothing is written until
    :meth:`commit` hands back the new blocks.
    """

    __slots__ = ("_encoded", "_root", "loader")

    def __init__(self, loader: NodeLoader, root: Node) -> None:
        self.loader = loader
        self._root = root
        self._encoded: list[Node] = []
        """The nodes :meth:`commit` encoded since the last :meth:`adopt_into_cache`."""

    @classmethod
    def empty(cls, source: BlockSource, loader: NodeLoader | None = None) -> MST:
        return cls(loader or NodeLoader(source), Node(0, None, [], [], []))

    @classmethod
    def load(cls, source: BlockSource, root: CID, loader: NodeLoader | None = None) -> MST:
        """The tree rooted at ``root`` (its root node is read now, the rest lazily)."""
        loader = loader or NodeLoader(source)
        return cls(loader, loader.load(root, None))

    @classmethod
    def from_items(cls, source: BlockSource, items: Iterable[tuple[str | bytes, CID]]) -> MST:
        """Build a tree from ``(key, value)`` pairs in one pass; later duplicates win."""
        merged: dict[bytes, CID] = {}
        for key, value in items:
            merged[key_bytes(key)] = value
        keys = sorted(merged)
        root = _build.build(keys, [key_layer(k) for k in keys], [merged[k] for k in keys])
        return cls(NodeLoader(source), root)

    def get(self, key: str | bytes) -> CID | None:
        """The value stored under ``key``, or ``None``."""
        kb = key_bytes(key)
        layer = key_layer(kb)
        node: Node | None = self._root
        while node is not None and node.layer >= layer:
            i, found = node.search(kb)
            if node.layer == layer:
                return node.values[i] if found else None
            gap = node.gap(i)
            node = self.loader.load(gap, node.layer - 1) if gap is not None else None
        return None

    def put(self, key: str | bytes, value: CID) -> MST:
        """A tree with ``key`` set to ``value``."""
        kb = key_bytes(key)
        layer = key_layer(kb)
        root = grow(self._root, layer)
        new_root = insert(self.loader, root, kb, layer, value)
        return self if new_root is self._root else MST(self.loader, new_root)

    def delete(self, key: str | bytes) -> MST:
        """A tree without ``key`` (this tree when the key is absent)."""
        try:
            kb = key_bytes(key)
        except InvalidKeyError:
            return self
        new_root = remove(self.loader, self._root, kb, key_layer(kb))
        if new_root is self._root:
            return self
        return MST(self.loader, trim(self.loader, new_root))

    def items(self, start: str | bytes | None = None, *, inclusive: bool = True) -> Iterator[tuple[bytes, CID]]:
        """``(key, value)`` pairs in byte order from ``start`` (excluded if not ``inclusive``)."""
        sb = None
        if start is not None:
            sb = start.encode("utf-8") if isinstance(start, str) else bytes(start)
        root = self._root
        if root.is_empty():
            return iter(())
        return iter_items(self.loader, root, root.layer, sb, inclusive)

    def is_empty(self) -> bool:
        return self._root.is_empty()

    def diff(self, other: MST) -> Iterator[Change]:
        """Changes from this tree to ``other``, in key order."""
        self.commit()
        other.commit()
        a = None if self._root.is_empty() else _Sub(self._root, self._root.layer)
        b = None if other._root.is_empty() else _Sub(other._root, other._root.layer)
        return diff(self.loader, a, b)

    def commit(self) -> tuple[CID, list[tuple[CID, bytes]]]:
        """Encode the nodes built since the last commit.

        Returns the root CID and the new ``(cid, bytes)`` blocks, children
        before parents, root last (empty when nothing changed).  Blocks may
        repeat ones already stored (a put undone by a delete): stores dedupe.
        """
        out: list[tuple[CID, bytes]] = []
        _encode_new(self._root, out, self._encoded)
        assert self._root.cid is not None
        return self._root.cid, out

    def adopt_into_cache(self) -> None:
        """After :meth:`commit`: let the loader serve the nodes it encoded from memory."""
        self.loader.adopt(self._encoded)
        self._encoded = []

    @property
    def root(self) -> CID:
        """The root CID (encodes pending nodes if needed)."""
        return self.commit()[0]


def _encode_new(node: Node, out: list[tuple[CID, bytes]], encoded: list[Node]) -> None:
    """Encode ``node`` and its in-memory descendants that have no CID yet, children first:
    their blocks to ``out``, the nodes to ``encoded``."""
    if node.cid is not None:
        return
    if isinstance(node.left, Node):
        _encode_new(node.left, out, encoded)
    for right in node.rights:
        if isinstance(right, Node):
            _encode_new(right, out, encoded)
    data = encode_node(node)
    node.cid = CID.compute(DAG_CBOR, data)
    out.append((node.cid, data))
    encoded.append(node)
