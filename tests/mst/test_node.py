"""Loading nodes refuses every way a stored node can break the MST invariants."""

import contextlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moto_forge.errors import CodecError, MstError, MstLimitError, MstStructureError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, DAG_CBOR, RAW
from moto_forge.mst import MST, common_prefix_len, key_layer
from moto_forge.mst.node import MAX_NODE_ENTRIES, _parse_canonical, _parse_generic, decode_node, encode_node

VALUE = CID.compute(RAW, b"v")


def layer0_keys(n: int) -> list[bytes]:
    return sorted(k for k in (f"k{i:04d}".encode() for i in range(n * 3)) if key_layer(k) == 0)[:n]


def node_bytes(entries: list[dict[str, Any]], left: CID | None = None) -> tuple[bytes, CID]:
    raw = dagcbor.encode({"e": entries, "l": left})
    return raw, CID.compute(DAG_CBOR, raw)


def entry(k: bytes, p: int = 0, t: CID | None = None) -> dict[str, Any]:
    return {"k": k, "p": p, "t": t, "v": VALUE}


def test_decodes_a_valid_leaf() -> None:
    a, b = layer0_keys(2)
    p = common_prefix_len(a, b)
    raw, cid = node_bytes([entry(a), entry(b[p:], p)])
    node = decode_node(raw, cid, 0)
    assert node.keys == [a, b] and node.cid == cid


@pytest.mark.parametrize(
    ("case", "layer"),
    [
        ("out_of_order", 0),
        ("duplicate", 0),
        ("non_minimal_prefix", 0),
        ("prefix_too_long", 0),
        ("wrong_layer", 1),
        ("empty_below_root", 0),
        ("untrimmed_root", None),
        ("subtree_below_layer_0", 0),
        ("extra_field", 0),
        ("value_not_link", 0),
    ],
)
def test_rejects_broken_nodes(case: str, layer: int | None) -> None:
    a, b = layer0_keys(2)
    p = common_prefix_len(a, b)
    other = CID.compute(DAG_CBOR, b"x")
    entries = {
        "out_of_order": [entry(b), entry(a[p:], p)],
        "duplicate": [entry(a), entry(b"", len(a))],
        "non_minimal_prefix": [entry(a), entry(b, 0)],
        "prefix_too_long": [entry(a), entry(b"x", 50)],
        "wrong_layer": [entry(a)],
        "empty_below_root": [],
        "untrimmed_root": [],
        "subtree_below_layer_0": [entry(a, t=other)],
        "extra_field": [{**entry(a), "x": 1}],
        "value_not_link": [{**entry(a), "v": b"\x01"}],
    }[case]
    left = other if case == "untrimmed_root" else None
    raw, cid = node_bytes(entries, left)
    with pytest.raises(MstStructureError):
        decode_node(raw, cid, layer)


def test_rejects_oversized_nodes() -> None:
    keys = layer0_keys(MAX_NODE_ENTRIES + 1)
    raw, cid = node_bytes([entry(k) for k in keys])
    with pytest.raises(MstLimitError):
        decode_node(raw, cid, 0)


def test_rejects_non_dag_cbor() -> None:
    with pytest.raises(MstStructureError):
        decode_node(b"\xff", CID.compute(DAG_CBOR, b"\xff"), 0)


def test_large_random_workload_matches_bulk_build() -> None:
    rnd = random.Random(7)
    source = MemoryBlocks()
    live: dict[str, CID] = {}
    tree = MST.empty(source)
    for step in range(3000):
        key = f"dir{rnd.randrange(20)}/file-{rnd.randrange(2000)}"
        if live and rnd.random() < 0.3:
            victim = rnd.choice(sorted(live))
            tree = tree.delete(victim)
            del live[victim]
        else:
            live[key] = CID.compute(RAW, f"{key}@{step}".encode())
            tree = tree.put(key, live[key])
        if step % 500 == 0:
            root, blocks = tree.commit()
            source.put_many(blocks)
            tree = MST.load(source, root)
    expected = MST.from_items(MemoryBlocks(), live.items())
    assert tree.root == expected.root
    assert dict(tree.items()) == {k.encode(): v for k, v in live.items()}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.one_of(st.none(), st.integers(0, 4)))
def test_any_bytes_decode_to_a_node_or_an_mst_or_codec_error(data: bytes, layer: int | None) -> None:
    with contextlib.suppress(MstError, CodecError):
        decode_node(data, CID.compute(DAG_CBOR, data), layer)


LINKS = st.one_of(
    st.none(),
    st.builds(CID.compute, st.sampled_from([DAG_CBOR, RAW]), st.binary(max_size=8)),
)
WIRE_ENTRIES = st.lists(
    st.fixed_dictionaries(
        {
            "k": st.binary(max_size=300),
            "p": st.one_of(st.integers(0, 30), st.integers(0, 0xFFFF)),  # 16-bit heads: all a key needs
            "t": LINKS,
            "v": st.builds(CID.compute, st.just(RAW), st.binary(max_size=8)),
        }
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(WIRE_ENTRIES, LINKS)
def test_the_fast_parser_reads_every_node_shape_as_the_generic_one(
    entries: list[dict[str, Any]], left: CID | None
) -> None:
    raw, cid = node_bytes(entries, left)
    fast = _parse_canonical(raw)
    assert fast == _parse_generic(raw, cid)
    assert fast == (left, [(e["k"], e["p"], e["t"], e["v"]) for e in entries])


@settings(max_examples=500, deadline=None)
@given(WIRE_ENTRIES, LINKS, st.data())
def test_the_fast_parser_takes_a_damaged_node_only_as_the_generic_one_does(
    entries: list[dict[str, Any]], left: CID | None, data: st.DataObject
) -> None:
    raw, _ = node_bytes(entries, left)
    at = data.draw(st.integers(0, len(raw)))
    damage = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
    byte = data.draw(st.integers(0, 255))
    if damage == "flip" and at < len(raw):
        raw = raw[:at] + bytes([raw[at] ^ (byte or 1)]) + raw[at + 1 :]
    elif damage == "insert":
        raw = raw[:at] + bytes([byte]) + raw[at:]
    elif damage == "delete":
        raw = raw[:at] + raw[at + 1 :]
    else:
        raw = raw[:at]
    cid = CID.compute(DAG_CBOR, raw)
    fast = _parse_canonical(raw)
    if fast is not None:  # whatever it takes, the generic parser takes too, as the same node
        assert fast == _parse_generic(raw, cid)


def test_a_node_the_fast_parser_leaves_is_still_read() -> None:
    """Links to CIDs of another length, and non-shortest heads, are valid DAG-CBOR the fast
    parser does not take: the generic parser reads them."""
    a, b = layer0_keys(2)
    odd = CID(RAW, 0x00, b"identity")  # an identity-hash CID: not 36 bytes
    p = common_prefix_len(a, b)
    raw, cid = node_bytes([{"k": a, "p": 0, "t": None, "v": odd}, entry(b[p:], p)])
    assert _parse_canonical(raw) is None
    assert decode_node(raw, cid, 0).values == [odd, VALUE]


def test_every_node_a_tree_writes_takes_the_fast_path() -> None:
    source = MemoryBlocks()
    tree = MST.from_items(source, [(f"dir{i % 7}/file-{i}", CID.compute(RAW, str(i).encode())) for i in range(800)])
    root, blocks = tree.commit()
    source.put_many(blocks)
    nodes = [data for cid, data in blocks if cid.codec == DAG_CBOR]
    assert len(nodes) > 50
    for data in nodes:
        assert _parse_canonical(data) is not None
    stored = dict(blocks)
    loaded = MST.load(source, root)
    pending, seen = [(root, None)], 0
    while pending:  # every node decoded (fast) and encoded again gives its block back
        cid, layer = pending.pop()
        node = decode_node(stored[cid], cid, layer)
        assert encode_node(node) == stored[cid]
        seen += 1
        pending += [(c, node.layer - 1) for c in [node.left, *node.rights] if isinstance(c, CID)]
    assert seen == len(nodes)
    assert len(dict(loaded.items())) == 800
