"""Deleting a key: remove its entry and merge the two subtrees it separated."""

from __future__ import annotations

from moto_forge.mst.node import Node, NodeLoader, Pointer, normalise


def merge(loader: NodeLoader, a: Pointer, b: Pointer, layer: int) -> Pointer:
    """Join two subtrees on ``layer`` where every key of ``a`` sorts before every key of ``b``."""
    if a is None:
        return b
    if b is None:
        return a
    na = loader.load(a, layer)
    nb = loader.load(b, layer)
    tail = na.rights[-1] if na.keys else na.left
    mid = merge(loader, tail, nb.left, layer - 1)
    if not na.keys:
        return Node(layer, mid, nb.keys, nb.values, nb.rights)
    rights = na.rights[:-1] + [mid] + nb.rights
    return Node(layer, na.left, na.keys + nb.keys, na.values + nb.values, rights)


def remove(loader: NodeLoader, node: Node, key: bytes, key_layer: int) -> Node:
    """A copy of ``node`` without ``key``; ``node`` itself when the key is absent.

    The result may be empty (no entries, no left); callers normalise it.
    """
    if key_layer > node.layer:
        return node
    i, found = node.search(key)
    if node.layer == key_layer:
        if not found:
            return node
        merged = merge(loader, node.gap(i), node.rights[i], node.layer - 1)
        keys = node.keys[:i] + node.keys[i + 1 :]
        values = node.values[:i] + node.values[i + 1 :]
        rights = node.rights[:i] + node.rights[i + 1 :]
        if i == 0:
            return Node(node.layer, merged, keys, values, rights)
        rights[i - 1] = merged
        return Node(node.layer, node.left, keys, values, rights)
    gap = node.gap(i)
    if gap is None:
        return node
    child = loader.load(gap, node.layer - 1)
    new_child = remove(loader, child, key, key_layer)
    if new_child is child:
        return node
    return node.with_gap(i, normalise(new_child))


def trim(loader: NodeLoader, node: Node) -> Node:
    """Drop empty top layers: a root never has a lone left subtree."""
    while not node.keys and node.left is not None:
        node = loader.load(node.left, node.layer - 1)
    if node.is_empty():
        return Node(0, None, [], [], [])
    return node
