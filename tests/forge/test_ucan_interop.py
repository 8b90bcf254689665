"""Our UCAN codec against the real @ucanto/core and @ipld/dag-ucan: byte-identical
blocks for the same inputs (ed25519 signatures are deterministic), and each side
verifies the other's signatures."""

from __future__ import annotations

import base64
from pathlib import Path

from moto_forge.ipld.cid import CID
from moto_forge.ucan.principal import Signer
from moto_forge.ucan.ucan import UCAN, Capability
from tests.forge.conftest import run_node

SEED = bytes([1]) * 32
SPACE = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def test_signer_string_and_did_match_ucanto(node_peer: Path) -> None:
    answer = run_node(node_peer, "ucan-vectors.mjs", {
        "op": "issue", "seed": SEED.hex(), "audience": "did:web:example.com",
        "capabilities": [{"with": SPACE, "can": "space/info"}], "expiration": 1,
    })  # fmt: skip
    signer = Signer(SEED)
    assert signer.encode() == answer["signer"]
    assert signer.did == answer["did"]
    assert Signer.decode(answer["signer"]).seed == SEED


def test_same_inputs_give_the_same_block_as_ucanto(node_peer: Path) -> None:
    capabilities = [{"with": SPACE, "can": "space/blob/add", "nb": {"blob": {"digest": {"/": "bafkqaaa"}, "size": 5}}}]
    answer = run_node(node_peer, "ucan-vectors.mjs", {
        "op": "issue", "seed": SEED.hex(), "audience": "did:web:upload.example", "capabilities": capabilities,
        "expiration": 2_000_000_000, "nonce": "n1", "facts": [{"k": "v"}],
    })  # fmt: skip
    ours = UCAN.issue(
        Signer(SEED),
        "did:web:upload.example",
        [Capability(SPACE, "space/blob/add", {"blob": {"digest": CID.decode("bafkqaaa"), "size": 5}})],
        2_000_000_000,
        nonce="n1",
        facts=[{"k": "v"}],
    )
    assert base64.b64encode(ours.block).decode() == answer["block"]
    assert str(ours.cid) == answer["cid"]
    theirs = UCAN.decode(base64.b64decode(answer["block"]))
    assert theirs == ours and theirs.verify_signature()


def test_ucanto_verifies_our_ucans_and_we_reject_tampering(node_peer: Path) -> None:
    ours = UCAN.issue(
        Signer.generate(),
        SPACE,
        [Capability("ucan:*", "*"), Capability(SPACE, "space/content/retrieve", {"range": [0, 99]})],
        None,
        facts=[{"retrievalAuth": True}],
    )
    answer = run_node(node_peer, "ucan-vectors.mjs", {"op": "verify", "block": base64.b64encode(ours.block).decode()})
    assert answer == {"ok": True, "issuer": ours.issuer, "audience": SPACE}
    forged = UCAN(ours.issuer, ours.audience, [Capability("ucan:*", "store/*")], None, ours.signature)
    assert not forged.verify_signature()
    answer = run_node(node_peer, "ucan-vectors.mjs", {"op": "verify", "block": base64.b64encode(forged.block).decode()})
    assert answer["ok"] is False
