"""Properties of the MST: canonical shape, reversible writes, ordered reads."""

from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moto_forge.errors import InvalidKeyError, MstLimitError
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, RAW
from moto_forge.mst import MAX_NODE_ENTRIES, MST, key_layer
from moto_forge.mst.verify import walk_nodes

EMPTY_ROOT = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"

keys = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_categories=("Cs",)), min_size=1, max_size=12
)
key_sets = st.lists(keys, max_size=60, unique=True)


def value_for(key: str) -> CID:
    return CID.compute(RAW, key.encode())


def build_incrementally(source: MemoryBlocks, items: Iterable[str]) -> MST:
    tree = MST.empty(source)
    for key in items:
        tree = tree.put(key, value_for(key))
    return tree


def committed(source: MemoryBlocks, tree: MST) -> CID:
    root, blocks = tree.commit()
    source.put_many(blocks)
    return root


@given(key_sets, st.randoms(use_true_random=False))
def test_root_independent_of_insertion_order(items: list[str], rnd) -> None:  # type: ignore[no-untyped-def]
    source = MemoryBlocks()
    a = build_incrementally(source, items)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    b = build_incrementally(source, shuffled)
    bulk = MST.from_items(source, [(k, value_for(k)) for k in items])
    assert a.root == b.root == bulk.root


@given(key_sets, keys)
def test_put_then_delete_returns_previous_root(items: list[str], extra: str) -> None:
    source = MemoryBlocks()
    tree = build_incrementally(source, [k for k in items if k != extra])
    before = committed(source, tree)
    after_put = tree.put(extra, value_for(extra))
    assert after_put.get(extra) == value_for(extra)
    assert committed(source, after_put) != before
    reloaded = MST.load(source, committed(source, after_put))
    assert committed(source, reloaded.delete(extra)) == before


@given(key_sets, st.one_of(st.none(), keys), st.booleans())
def test_iteration_in_byte_order_from_any_start(items: list[str], start: str | None, inclusive: bool) -> None:
    source = MemoryBlocks()
    root = committed(source, build_incrementally(source, items))
    tree = MST.load(source, root)  # lazy: every node comes from the block source
    encoded = sorted(k.encode() for k in items)
    if start is not None:
        sb = start.encode()
        encoded = [k for k in encoded if (k >= sb if inclusive else k > sb)]
    got = list(tree.items(start, inclusive=inclusive))
    assert [k for k, _ in got] == encoded
    assert all(v == value_for(k.decode()) for k, v in got)


@given(key_sets, key_sets)
def test_diff_lists_exactly_the_changes(old_keys: list[str], new_keys: list[str]) -> None:
    source = MemoryBlocks()
    old = MST.load(source, committed(source, build_incrementally(source, old_keys)))
    new_tree = MST.empty(source)
    for k in new_keys:
        new_tree = new_tree.put(k, CID.compute(RAW, b"v2" + k.encode()) if k in old_keys[:3] else value_for(k))
    new = MST.load(source, committed(source, new_tree))
    expected = {}
    old_map = {k.encode(): value_for(k) for k in old_keys}
    new_map = dict(new.items())
    for k in set(old_map) | set(new_map):
        if old_map.get(k) != new_map.get(k):
            expected[k] = (old_map.get(k), new_map.get(k))
    changes = list(old.diff(new))
    assert [c.key for c in changes] == sorted(expected)
    assert {c.key: (c.old, c.new) for c in changes} == expected


@settings(max_examples=30)
@given(key_sets)
def test_verify_walk_reaches_every_value(items: list[str]) -> None:
    source = MemoryBlocks()
    root = committed(source, build_incrementally(source, items))
    values = [v for _, vals in walk_nodes(MST.load(source, root).loader, root) for v in vals]
    assert sorted(values, key=bytes) == sorted((value_for(k) for k in items), key=bytes)


def test_empty_tree_root() -> None:
    tree = MST.empty(MemoryBlocks())
    assert str(tree.root) == EMPTY_ROOT
    assert list(tree.items()) == []
    assert tree.get("anything") is None
    assert tree.delete("anything") is tree


def test_delete_everything_returns_to_empty_root() -> None:
    source = MemoryBlocks()
    items = [f"key-{i}" for i in range(200)]
    tree = build_incrementally(source, items)
    for k in items:
        tree = tree.delete(k)
    assert str(tree.root) == EMPTY_ROOT


def test_unchanged_writes_return_the_same_tree() -> None:
    source = MemoryBlocks()
    tree = build_incrementally(source, ["a", "b"])
    assert tree.put("a", value_for("a")) is tree
    assert tree.delete("zzz") is tree
    assert tree.commit()[1] != []
    assert tree.commit()[1] == []  # second commit: nothing new


@pytest.mark.parametrize("key", ["", "x" * 1025, b"\xff\xfe"])
def test_invalid_keys_are_refused(key: str | bytes) -> None:
    with pytest.raises(InvalidKeyError):
        MST.empty(MemoryBlocks()).put(key, value_for("v"))


def test_non_ascii_keys_up_to_1024_bytes() -> None:
    source = MemoryBlocks()
    long_key = "é" * 512  # 1024 UTF-8 bytes
    tree = build_incrementally(source, [long_key, "ключ", "🔑/x"])
    root = committed(source, tree)
    assert MST.load(source, root).get(long_key) == value_for(long_key)


def test_wide_node_is_refused() -> None:
    # Mine keys that all sit on layer 0 and share one gap: they pile into one node.
    mined = [k for k in (f"w{i:06d}" for i in range(3 * MAX_NODE_ENTRIES)) if key_layer(k.encode()) == 0]
    cut = [k for k in (f"w{i:06d}" for i in range(3 * MAX_NODE_ENTRIES)) if key_layer(k.encode()) > 0]
    assert cut  # the natural tree is split by higher keys; only the mined set is wide
    with pytest.raises(MstLimitError):
        MST.from_items(MemoryBlocks(), [(k, value_for(k)) for k in mined[: MAX_NODE_ENTRIES + 1]])
    tree = MST.from_items(MemoryBlocks(), [(k, value_for(k)) for k in mined[:MAX_NODE_ENTRIES]])
    with pytest.raises(MstLimitError):
        tree.put(mined[MAX_NODE_ENTRIES], value_for("x"))


@given(key_sets)
def test_the_direct_node_encoder_writes_what_the_generic_encoder_writes(items: list[str]) -> None:
    from moto_forge.ipld import dagcbor

    _, blocks = build_incrementally(MemoryBlocks(), items).commit()
    for _, data in blocks:
        assert dagcbor.encode(dagcbor.decode(data)) == data


def test_adopted_nodes_are_served_without_reading_the_store() -> None:
    """After commit + adopt_into_cache, a tree loaded again from the new root by the same
    loader reads none of the nodes the commit encoded (each adopted once, then forgotten
    by the tree); a loader that adopted nothing reads them from the store."""
    source = MemoryBlocks()
    base = build_incrementally(source, [f"k{n:03d}" for n in range(200)])
    committed(source, base)
    changed = base.put("new-key", value_for("new-key")).put("k050", value_for("other"))
    root, blocks = changed.commit()
    source.put_many(blocks)
    changed.adopt_into_cache()
    assert changed._encoded == []
    reads: list[CID] = []

    class Counting:
        def get(self, cid: CID) -> bytes:
            reads.append(cid)
            return source.get(cid)

    changed.loader.source = Counting()  # type: ignore[assignment]
    again = MST.load(changed.loader.source, root, changed.loader)
    assert again.get("new-key") == value_for("new-key") and again.get("k050") == value_for("other")
    new_cids = {cid for cid, _ in blocks}
    assert not new_cids & set(reads)
    fresh = MST.load(Counting(), root)  # type: ignore[arg-type]
    assert fresh.get("new-key") == value_for("new-key")
    assert root in reads
