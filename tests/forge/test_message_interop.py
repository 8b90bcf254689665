"""Agent messages and receipts against @ucanto/core and @ucanto/transport: each side
reads and verifies what the other writes; receipts are byte-identical."""

from __future__ import annotations

import base64
from pathlib import Path

from moto_forge.ucan.message import Receipt, decode_message, encode_message
from moto_forge.ucan.principal import Signer
from moto_forge.ucan.ucan import UCAN, Capability
from tests.forge.conftest import run_node

SEED = bytes([2]) * 32
SPACE = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def test_we_read_ucanto_messages_and_receipts(node_peer: Path) -> None:
    answer = run_node(node_peer, "ucan-vectors.mjs", {
        "op": "message", "seed": SEED.hex(),
        "invocations": [
            {"audience": "did:web:up.example", "capability": {"with": SPACE, "can": "space/info"},
             "expiration": 2_000_000_000, "nonce": "x"},
            {"audience": "did:web:up.example", "capability": {"with": SPACE, "can": "upload/list", "nb": {}},
             "expiration": 2_000_000_001},
        ],
        "receipt": {"result": {"ok": {"done": True}}},
    })  # fmt: skip
    message = decode_message(base64.b64decode(answer["car"]))
    assert str(message.root) == answer["root"]
    assert [str(i.cid) for i in message.invocations] == answer["invocations"]
    assert all(i.verify_signature() for i in message.invocations)
    assert [c.can for i in message.invocations for c in i.capabilities] == ["space/info", "upload/list"]
    ((ran, receipt),) = message.receipts.items()
    assert ran == message.invocations[0].cid == receipt.ran
    assert receipt.ok == {"done": True} and receipt.verify_signature()
    assert str(receipt.cid) == answer["receipts"][0]
    ours = Receipt.issue(Signer(SEED), receipt.ran, {"ok": {"done": True}})
    assert ours.block == receipt.block  # same inputs, same bytes


def test_ucanto_reads_our_messages(node_peer: Path) -> None:
    space, agent = Signer(bytes([3]) * 32), Signer(bytes([4]) * 32)
    proof = UCAN.issue(space, agent.did, [Capability(space.did, "*")], None)
    invocation = UCAN.issue(
        agent,
        "did:web:up.example",
        [Capability(space.did, "space/blob/add", {"blob": {"size": 5}})],
        2_000_000_000,
        proofs=[proof.cid],
    )
    receipt = Receipt.issue(agent, invocation.cid, {"error": {"name": "Nope", "message": "no"}})
    _, car = encode_message([(invocation, [proof])], [receipt])
    answer = run_node(node_peer, "ucan-vectors.mjs", {"op": "read-message", "car": base64.b64encode(car).decode()})
    assert answer["invocations"] == [{
        "ok": True, "cid": str(invocation.cid), "issuer": agent.did, "audience": "did:web:up.example",
        "capabilities": [{"with": space.did, "can": "space/blob/add"}], "proofs": [str(proof.cid)],
    }]  # fmt: skip
    assert answer["receipts"] == [
        {"ok": True, "ran": str(invocation.cid), "out": {"error": {"name": "Nope", "message": "no"}}}
    ]


def test_tampered_receipt_fails_verification() -> None:
    signer = Signer(SEED)
    receipt = Receipt.issue(signer, UCAN.issue(signer, SPACE, [Capability(SPACE, "x")], None).cid, {"ok": {}})
    forged = Receipt(receipt.ran, {"ok": {"more": True}}, receipt.issuer, receipt.signature)
    assert receipt.verify_signature() and not forged.verify_signature()
    assert Receipt.decode(receipt.block) == receipt
