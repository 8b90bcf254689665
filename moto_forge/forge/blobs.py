"""Storing one blob in Forge, client style (``space/blob/add``).

1. ``space/blob/add {blob: {digest, size}}`` on the space, with the agent's proof.
   Its receipt forks the tasks ``blob/allocate``, ``http/put``, ``blob/accept``
   and ``ucan/conclude`` invocations that carry the receipts already known.
2. The allocate receipt's ``address`` (absent if the node already has the
   blob) says where to ``PUT`` the bytes, with which headers.
3. The ``http/put`` task is concluded with a receipt signed by the key in the
   task's ``keys`` fact (derived from the blob's digest), sent in a
   ``ucan/conclude`` invocation.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import requests

from moto_forge.errors import ForgeError
from moto_forge.forge.connection import Connection, ForgeProtocolError
from moto_forge.ipld.cid import CID
from moto_forge.ipld.varint import decode_uvarint
from moto_forge.ucan.message import AgentMessage, Receipt
from moto_forge.ucan.principal import ED25519_PRIV, Signer
from moto_forge.ucan.ucan import UCAN, Capability


class ForgeWriteError(ForgeError):
    """Forge refused or failed a step of storing a blob (names the step)."""


@dataclass(frozen=True)
class StoredBlob:
    digest: bytes
    size: int
    put: bool
    """Whether bytes were sent (False when the node already had them)."""


def sha256_multihash(data: bytes) -> bytes:
    return b"\x12\x20" + hashlib.sha256(data).digest()


def _tasks(receipt: Receipt, reply: AgentMessage) -> dict[str, tuple[CID, UCAN]]:
    tasks: dict[str, tuple[CID, UCAN]] = {}
    for cid in receipt.fork:
        block = reply.blocks.get(cid)
        if block is None:
            raise ForgeProtocolError(f"effect {cid} is not in the reply")
        task = UCAN.decode(block)
        tasks.setdefault(task.capabilities[0].can, (cid, task))
    return tasks


def _concluded(receipt: Receipt, reply: AgentMessage) -> dict[CID, Receipt]:
    """Receipts carried by the ucan/conclude effects, by the task they ran."""
    out: dict[CID, Receipt] = {}
    for cid in receipt.fork:
        task = UCAN.decode(reply.blocks[cid])
        capability = task.capabilities[0]
        if capability.can == "ucan/conclude" and isinstance(capability.nb, dict):
            link = capability.nb.get("receipt")
            if isinstance(link, CID) and link in reply.blocks:
                inner = Receipt.decode(reply.blocks[link])
                out[inner.ran] = inner
    return out


def derived_signer(put_task: UCAN) -> Signer:
    """The key the ``http/put`` task names in its ``keys`` fact."""
    for fact in put_task.facts:
        archive: Any = fact.get("keys") if isinstance(fact, dict) else None
        if isinstance(archive, dict) and isinstance(archive.get("keys"), dict):
            for raw in archive["keys"].values():
                code, pos = decode_uvarint(raw)
                if code == ED25519_PRIV:
                    return Signer(raw[pos : pos + 32])
    raise ForgeProtocolError("the http/put task carries no ed25519 key")


def add_blob(connection: Connection, space: str, proofs: list[UCAN], data: bytes) -> StoredBlob:
    """Store ``data`` as a blob of ``space`` (see the module docstring)."""
    digest = sha256_multihash(data)
    invocation = connection.invoke(space, "space/blob/add", {"blob": {"digest": digest, "size": len(data)}}, proofs)
    (receipt,), reply = connection.send([invocation])
    if receipt.error is not None:
        raise ForgeWriteError(f"space/blob/add refused: {receipt.error}")
    tasks = _tasks(receipt, reply)
    try:
        allocate_cid, _ = tasks["blob/allocate"]
        put_cid, put_task = tasks["http/put"]
    except KeyError as exc:
        raise ForgeProtocolError(f"space/blob/add receipt lacks the {exc.args[0]} effect") from exc
    allocated = _concluded(receipt, reply).get(allocate_cid)
    if allocated is None or allocated.error is not None:
        raise ForgeWriteError(f"blob/allocate failed: {allocated.error if allocated else 'no receipt'}")
    address = (allocated.ok or {}).get("address")
    if address:
        headers = {str(k): str(v) for k, v in dict(address.get("headers") or {}).items()}
        headers.setdefault("content-length", str(len(data)))
        try:
            response = requests.put(str(address["url"]), data=data, headers=headers, timeout=connection.timeout)
        except requests.RequestException as exc:
            raise ForgeWriteError(f"PUT of blob to {address['url']} failed: {exc}") from exc
        if response.status_code not in (200, 201):
            raise ForgeWriteError(f"PUT of blob to {address['url']} answered HTTP {response.status_code}")
    put_receipt = Receipt.issue(derived_signer(put_task), put_cid, {"ok": {}})
    conclude = UCAN.issue(
        connection.agent,
        connection.audience,
        [Capability(connection.agent.did, "ucan/conclude", {"receipt": put_receipt.cid})],
        int(time.time()) + 3600,
        nonce=str(time.time_ns()),
    )
    (concluded,), _ = connection.send([(conclude, [])], extra_blocks=[(put_receipt.cid, put_receipt.block)])
    if concluded.error is not None:
        raise ForgeWriteError(f"ucan/conclude of http/put failed: {concluded.error}")
    return StoredBlob(digest, len(data), bool(address))
