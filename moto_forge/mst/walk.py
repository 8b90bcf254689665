"""Reading a tree in order: ordered iteration from a start key, and diffs."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from moto_forge.ipld.cid import CID
from moto_forge.mst.node import Node, NodeLoader, Pointer


def iter_items(
    loader: NodeLoader, ptr: Pointer, layer: int, start: bytes | None, inclusive: bool
) -> Iterator[tuple[bytes, CID]]:
    """Yield ``(key, value)`` in byte order for keys ``>= start`` (``> start`` if not inclusive).

    Subtrees wholly before ``start`` are never loaded.
    """
    if ptr is None:
        return
    node = loader.load(ptr, layer)
    if start is None:
        i = 0
    else:
        i = bisect_left(node.keys, start) if inclusive else bisect_right(node.keys, start)
    yield from iter_items(loader, node.gap(i), layer - 1, start, inclusive)
    keys, values, rights = node.keys, node.values, node.rights
    for j in range(i, len(keys)):
        yield keys[j], values[j]
        if rights[j] is not None:
            yield from iter_items(loader, rights[j], layer - 1, None, True)


@dataclass(frozen=True, slots=True)
class Change:
    """One key that differs between two trees (``old`` or ``new`` is ``None`` for adds/removes)."""

    key: bytes
    old: CID | None
    new: CID | None


@dataclass(slots=True)
class _Sub:
    ptr: Node | CID
    layer: int

    def cid(self) -> CID | None:
        return self.ptr if isinstance(self.ptr, CID) else self.ptr.cid


_Token = tuple[bytes, CID] | _Sub


def _expand(loader: NodeLoader, sub: _Sub) -> list[_Token]:
    node = loader.load(sub.ptr, sub.layer)
    out: list[_Token] = []
    if node.left is not None:
        out.append(_Sub(node.left, sub.layer - 1))
    for key, value, right in zip(node.keys, node.values, node.rights, strict=True):
        out.append((key, value))
        if right is not None:
            out.append(_Sub(right, sub.layer - 1))
    out.reverse()
    return out


def diff(loader: NodeLoader, a: _Sub | None, b: _Sub | None) -> Iterator[Change]:
    """Changes that turn tree ``a`` into tree ``b``, in key order.

    Both trees are walked as streams of entries and unexpanded subtrees;
    when both streams start with the same subtree CID, it is skipped whole,
    so the cost follows the size of the difference, not of the trees.
    """
    sa: list[_Token] = [a] if a is not None else []
    sb: list[_Token] = [b] if b is not None else []
    while sa and sb:
        ta, tb = sa[-1], sb[-1]
        if isinstance(ta, _Sub) and isinstance(tb, _Sub):
            ca, cb = ta.cid(), tb.cid()
            if ca is not None and ca == cb:
                sa.pop()
                sb.pop()
                continue
            if ta.layer >= tb.layer:
                sa.pop()
                sa.extend(_expand(loader, ta))
            if tb.layer >= ta.layer:
                sb.pop()
                sb.extend(_expand(loader, tb))
            continue
        if isinstance(ta, _Sub):
            sa.pop()
            sa.extend(_expand(loader, ta))
            continue
        if isinstance(tb, _Sub):
            sb.pop()
            sb.extend(_expand(loader, tb))
            continue
        (ka, va), (kb, vb) = ta, tb
        if ka == kb:
            sa.pop()
            sb.pop()
            if va != vb:
                yield Change(ka, va, vb)
        elif ka < kb:
            sa.pop()
            yield Change(ka, va, None)
        else:
            sb.pop()
            yield Change(kb, None, vb)
    for stack, removed in ((sa, True), (sb, False)):
        while stack:
            tok = stack.pop()
            if isinstance(tok, _Sub):
                stack.extend(_expand(loader, tok))
            else:
                key, value = tok
                yield Change(key, value, None) if removed else Change(key, None, value)
