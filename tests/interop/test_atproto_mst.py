"""Pinned vectors from atproto's reference implementations (shared/vectors/atproto-mst).

These files are read, never regenerated: if our code disagrees with them,
our code is wrong.
"""

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from moto_forge.ipld import dagcbor
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.mst import MST, common_prefix_len, key_layer

VECTORS = Path(__file__).parent / "vectors" / "atproto-mst"
"""Pinned from atproto's interop fixtures (never regenerated from our code)."""


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


def test_vectors_are_present() -> None:
    assert VECTORS.is_dir(), f"interop vectors missing at {VECTORS}"


@pytest.mark.parametrize("case", load("key_heights.json"), ids=lambda c: c["key"] or "<empty>")
def test_key_heights(case: dict[str, Any]) -> None:
    assert key_layer(case["key"].encode()) == case["height"]


@pytest.mark.parametrize("case", load("common_prefix.json"), ids=lambda c: f"{c['left']}|{c['right']}")
def test_common_prefix(case: dict[str, Any]) -> None:
    assert common_prefix_len(case["left"].encode(), case["right"].encode()) == case["len"]


def test_example_keys_carry_their_layer() -> None:
    # atproto's example keys are named so the digit after the letter is the layer.
    keys = (VECTORS / "example_keys.txt").read_text().split()
    assert len(keys) > 100
    for key in keys:
        assert key_layer(key.encode()) == int(key[1]), key


FIXTURES = load("commit-proof-fixtures.json")


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f["comment"])
def test_commit_proof_roots(fixture: dict[str, Any]) -> None:
    leaf = CID.decode(fixture["leafValue"])
    source = MemoryBlocks()
    tree = MST.empty(source)
    for key in fixture["keys"]:
        tree = tree.put(key, leaf)
    before, blocks = tree.commit()
    source.put_many(blocks)
    assert str(before) == fixture["rootBeforeCommit"]
    assert MST.from_items(MemoryBlocks(), [(k, leaf) for k in fixture["keys"]]).root == before

    tree = MST.load(source, before)  # apply the commit to the lazily loaded tree
    for key in fixture["adds"]:
        tree = tree.put(key, leaf)
    for key in fixture["dels"]:
        tree = tree.delete(key)
    after, new_blocks = tree.commit()
    assert str(after) == fixture["rootAfterCommit"]
    proof = set(fixture["blocksInProof"])
    assert {str(cid) for cid, _ in new_blocks if cid not in source} <= proof
    final_keys = (set(fixture["keys"]) | set(fixture["adds"])) - set(fixture["dels"])
    assert MST.from_items(MemoryBlocks(), [(k, leaf) for k in final_keys]).root == after


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$link"}:
            return CID.decode(value["$link"])
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"] + "==")
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


@pytest.mark.parametrize("fixture", load("data-model-fixtures.json"), ids=lambda f: f["cid"][-8:])
def test_data_model_fixtures(fixture: dict[str, Any]) -> None:
    raw = base64.b64decode(fixture["cbor_base64"] + "==")
    assert dagcbor.encode(_from_json(fixture["json"])) == raw
    assert dagcbor.decode(raw) == _from_json(fixture["json"])
    assert str(CID.compute(DAG_CBOR, raw)) == fixture["cid"]
