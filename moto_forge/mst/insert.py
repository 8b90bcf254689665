"""Putting a key: descend to the key's layer, split the gap it lands in."""

from __future__ import annotations

from moto_forge.ipld.cid import CID
from moto_forge.mst.node import Node, NodeLoader, Pointer, normalise


def split(loader: NodeLoader, ptr: Pointer, key: bytes, layer: int) -> tuple[Pointer, Pointer]:
    """Split the subtree ``ptr`` (on ``layer``) into keys below and above ``key``.

    ``key`` is not in the subtree (it lives on a higher layer).  Either side
    may come back ``None`` when it holds nothing.
    """
    if ptr is None:
        return None, None
    node = loader.load(ptr, layer)
    i, _ = node.search(key)
    lo_gap, hi_gap = split(loader, node.gap(i), key, layer - 1)
    if i == 0:
        lo = Node(layer, lo_gap, [], [], [])
    else:
        rights = node.rights[:i]
        rights[-1] = lo_gap
        lo = Node(layer, node.left, node.keys[:i], node.values[:i], rights)
    hi = Node(layer, hi_gap, node.keys[i:], node.values[i:], node.rights[i:])
    return normalise(lo), normalise(hi)


def insert(loader: NodeLoader, node: Node, key: bytes, key_layer: int, value: CID) -> Node:
    """A copy of ``node`` (on a layer >= ``key_layer``) with ``key`` set to ``value``.

    Returns ``node`` itself when the key already holds ``value``.
    """
    i, found = node.search(key)
    if node.layer == key_layer:
        if found:
            if node.values[i] == value:
                return node
            values = list(node.values)
            values[i] = value
            return Node(node.layer, node.left, node.keys, values, node.rights)
        lo, hi = split(loader, node.gap(i), key, node.layer - 1)
        keys = node.keys[:i] + [key] + node.keys[i:]
        values = node.values[:i] + [value] + node.values[i:]
        rights = node.rights[:i] + [hi] + node.rights[i:]
        if i == 0:
            return Node(node.layer, lo, keys, values, rights)
        rights[i - 1] = lo
        return Node(node.layer, node.left, keys, values, rights)
    gap = node.gap(i)
    child = loader.load(gap, node.layer - 1) if gap is not None else Node(node.layer - 1, None, [], [], [])
    new_child = insert(loader, child, key, key_layer, value)
    if new_child is child:
        return node
    return node.with_gap(i, new_child)


def grow(node: Node, layer: int) -> Node:
    """Wrap a root in empty nodes until it sits on ``layer``."""
    while node.layer < layer:
        node = Node(node.layer + 1, None if node.is_empty() else node, [], [], [])
    return node
