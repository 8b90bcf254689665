"""Building a whole tree from sorted items in one pass (no per-key path copies)."""

from __future__ import annotations

from moto_forge.ipld.cid import CID
from moto_forge.mst.node import Node, Pointer


def build(keys: list[bytes], layers: list[int], values: list[CID]) -> Node:
    """The canonical tree of ``keys`` (strictly increasing) with their layers and values."""
    if not keys:
        return Node(0, None, [], [], [])
    top = max(layers)
    root = _build(keys, layers, values, 0, len(keys), top)
    assert isinstance(root, Node)
    return root


def _build(keys: list[bytes], layers: list[int], values: list[CID], lo: int, hi: int, layer: int) -> Pointer:
    if lo >= hi:
        return None
    idx = [i for i in range(lo, hi) if layers[i] == layer]
    if not idx:
        # Only lower keys here: an entry-less node on this layer over the next one down.
        return Node(layer, _build(keys, layers, values, lo, hi, layer - 1), [], [], [])
    left = _build(keys, layers, values, lo, idx[0], layer - 1)
    rights: list[Pointer] = []
    for n, i in enumerate(idx):
        end = idx[n + 1] if n + 1 < len(idx) else hi
        rights.append(_build(keys, layers, values, i + 1, end, layer - 1))
    return Node(layer, left, [keys[i] for i in idx], [values[i] for i in idx], rights)
