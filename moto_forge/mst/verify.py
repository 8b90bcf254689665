"""Whole-tree verification: every node present, hashed right, and in its key range."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from moto_forge.errors import BlockError, MstError, MstStructureError
from moto_forge.ipld.cid import CID
from moto_forge.mst.node import NodeLoader, Pointer

OnError = Callable[[CID, Exception], None]


def walk_nodes(
    loader: NodeLoader, root: CID, on_error: OnError | None = None, skip: Callable[[CID], bool] | None = None
) -> Iterator[tuple[CID, list[CID]]]:
    """Yield ``(node CID, value CIDs)`` for every node, checking the MST invariants.

    Beyond what loading a node checks (shape, order, layers), this checks
    that every subtree's keys lie strictly between the keys around it.
    Without ``on_error`` it raises :class:`MissingBlockError`,
    :class:`BlockHashMismatchError` or :class:`MstStructureError` naming the
    offending CID; with it, each bad node is reported and its subtree skipped.
    Subtrees whose root CID ``skip`` accepts are not entered (already walked).
    """
    stack: list[tuple[Pointer, int | None, bytes | None, bytes | None]] = [(root, None, None, None)]
    # Children are CIDs, or Node objects the loader adopted after a commit (same data, in memory).
    while stack:
        ptr, layer, lo, hi = stack.pop()
        if ptr is None:
            continue
        ptr_cid = ptr if isinstance(ptr, CID) else ptr.cid
        if skip is not None and ptr_cid is not None and skip(ptr_cid):
            continue
        try:
            if layer is not None and layer < 0:
                raise MstStructureError(f"subtree {ptr} below layer 0")
            node = loader.load(ptr, layer)
        except (BlockError, MstError) as exc:
            if on_error is None:
                raise
            if ptr_cid is None:
                raise
            on_error(ptr_cid, exc)
            continue
        layer = node.layer
        cid = node.cid
        assert cid is not None
        if node.keys and ((lo is not None and node.keys[0] <= lo) or (hi is not None and node.keys[-1] >= hi)):
            error = MstStructureError(f"node {cid} holds keys outside its parent's range")
            if on_error is None:
                raise error
            on_error(cid, error)
            continue
        yield cid, list(node.values)
        bounds = [lo, *node.keys, hi]
        stack.append((node.left, layer - 1, bounds[0], bounds[1]))
        for j, right in enumerate(node.rights):
            stack.append((right, layer - 1, bounds[j + 1], bounds[j + 2]))
