"""Whole-tree verification: every node present, hashed right, and in its key range."""

from __future__ import annotations

from collections.abc import Iterator

from moto_forge.errors import MstStructureError
from moto_forge.ipld.cid import CID
from moto_forge.mst.node import NodeLoader, Pointer


def walk_nodes(loader: NodeLoader, root: CID) -> Iterator[tuple[CID, list[CID]]]:
    """Yield ``(node CID, value CIDs)`` for every node, checking the MST invariants.

    Beyond what loading a node checks (shape, order, layers), this checks
    that every subtree's keys lie strictly between the keys around it.
    Raises :class:`MissingBlockError`, :class:`BlockHashMismatchError` or
    :class:`MstStructureError` naming the offending CID.
    """
    node = loader.load(root, None)
    stack: list[tuple[Pointer, int, bytes | None, bytes | None]] = [(root, node.layer, None, None)]
    while stack:
        ptr, layer, lo, hi = stack.pop()
        if ptr is None:
            continue
        if layer < 0:
            raise MstStructureError(f"subtree {ptr} below layer 0")
        node = loader.load(ptr, None if ptr == root else layer)
        cid = node.cid
        assert cid is not None
        if node.keys and ((lo is not None and node.keys[0] <= lo) or (hi is not None and node.keys[-1] >= hi)):
            raise MstStructureError(f"node {cid} holds keys outside its parent's range")
        yield cid, list(node.values)
        bounds = [lo, *node.keys, hi]
        stack.append((node.left, layer - 1, bounds[0], bounds[1]))
        for j, right in enumerate(node.rights):
            stack.append((right, layer - 1, bounds[j + 1], bounds[j + 2]))
