"""Storing one blob in Forge, client style (``space/blob/add``).

1. ``space/blob/add {blob: {digest, size}}`` on the space, with the agent's proof.
   Its receipt forks the tasks ``blob/allocate``, ``http/put``, ``blob/accept``
   and ``ucan/conclude`` invocations that carry the receipts already known.
2. The allocate receipt's ``address`` (absent if the node already has the
   blob) says where to ``PUT`` the bytes, with which headers.
3. The ``http/put`` task is concluded with a receipt signed by the key in the
   task's ``keys`` fact (derived from the blob's digest), sent in a
   ``ucan/conclude`` invocation.
4. The ``blob/accept`` receipt (the storage node's acceptance, whose ``site`` links
   the location commitment) is awaited: it is in hand when the node already had the
   blob, else the service's receipts endpoint (``GET <service>/receipt/<task CID>``,
   as Storacha's clients poll it) is asked until it answers or the connection's
   timeout passes.  Its signature is checked (its issuer's did:key; the service's
   key if the service issued it).  Only then is the blob stored.  A service that
   refuses the add because the space already holds that blob (sprue's ``EntryExists``:
   it was accepted before) counts as stored too.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from moto_forge.errors import ForgeError
from moto_forge.forge.connection import Connection, ForgeProtocolError
from moto_forge.ipld.cid import CID
from moto_forge.ipld.varint import decode_uvarint
from moto_forge.ucan.message import AgentMessage, Receipt, decode_message
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
    site: CID | None = None
    """The location commitment the ``blob/accept`` receipt links."""


def already_in_space(error: Any) -> bool:
    """Whether a ``space/blob/add`` error says the space already holds the blob (sprue
    answers a second add of an accepted blob with ``EntryExists``; the JS service answers
    it with the earlier allocation instead)."""
    cause = error.get("cause") if isinstance(error, dict) else None
    return isinstance(cause, dict) and cause.get("name") == "EntryExists"


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


def add_blob(
    connection: Connection,
    space: str,
    proofs: list[UCAN],
    data: bytes,
    proof_blocks: Sequence[tuple[CID, bytes]] = (),
) -> StoredBlob:
    """Store ``data`` as a blob of ``space`` (see the module docstring); ``proof_blocks``:
    blocks the proofs reference (a chain of delegations), sent along."""
    digest = sha256_multihash(data)
    invocation = connection.invoke(space, "space/blob/add", {"blob": {"digest": digest, "size": len(data)}}, proofs)
    (receipt,), reply = connection.send([invocation], extra_blocks=proof_blocks)
    if already_in_space(receipt.error):
        return StoredBlob(digest, len(data), False)
    if receipt.error is not None:
        raise ForgeWriteError(f"space/blob/add refused: {receipt.error}")
    tasks = _tasks(receipt, reply)
    try:
        allocate_cid, _ = tasks["blob/allocate"]
        put_cid, put_task = tasks["http/put"]
    except KeyError as exc:
        raise ForgeProtocolError(f"space/blob/add receipt lacks the {exc.args[0]} effect") from exc
    accept_cid = tasks.get("blob/accept", (None, None))[0]
    if accept_cid is None:
        raise ForgeProtocolError("space/blob/add receipt lacks the blob/accept effect")
    concluded_before = _concluded(receipt, reply)
    allocated = concluded_before.get(allocate_cid)
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
    accepted = concluded_before.get(accept_cid) or await_receipt(connection, accept_cid)
    if accepted.error is not None:
        raise ForgeWriteError(f"blob/accept failed: {accepted.error}")
    site = (accepted.ok or {}).get("site") if isinstance(accepted.ok, dict) else None
    if not isinstance(site, CID):
        raise ForgeProtocolError(f"the blob/accept receipt {accepted.cid} links no location commitment (site)")
    return StoredBlob(digest, len(data), bool(address), site)


RECEIPT_POLL_SECONDS = (0.02, 0.05, 0.1, 0.2, 0.5)
"""Waits between asks of the receipts endpoint (the last one repeats until the timeout)."""


def await_receipt(connection: Connection, task: CID) -> Receipt:
    """The receipt of ``task`` from the service's receipts endpoint, its signature checked
    (module doc, step 4); :class:`ForgeWriteError` once ``connection.timeout`` passes
    without one."""
    if connection.receipts_url is None:
        raise ForgeProtocolError(f"no receipt for {task} in hand and no receipts endpoint to ask")
    url = f"{connection.receipts_url.rstrip('/')}/{task}"
    deadline = time.monotonic() + connection.timeout
    for attempt in itertools.count():
        try:
            response = requests.get(url, timeout=connection.timeout)
        except requests.RequestException as exc:
            raise ForgeWriteError(f"cannot reach the receipts endpoint {url}: {exc}") from exc
        if response.status_code == 200:
            return _receipt_in(connection, task, response.content)
        if response.status_code != 404:
            raise ForgeWriteError(f"the receipts endpoint {url} answered HTTP {response.status_code}")
        pause = RECEIPT_POLL_SECONDS[min(attempt, len(RECEIPT_POLL_SECONDS) - 1)]
        if time.monotonic() + pause > deadline:
            raise ForgeWriteError(f"no receipt for {task} at {url} within {connection.timeout:g} s")
        time.sleep(pause)
    raise AssertionError("unreachable")


def _receipt_in(connection: Connection, task: CID, body: bytes) -> Receipt:
    """The receipt for ``task`` in an agent message ``body``, its signature checked."""
    try:
        message = decode_message(body)
    except ForgeError as exc:
        raise ForgeProtocolError(f"unreadable receipt for {task}: {exc}") from exc
    receipt = message.receipts.get(task)
    if receipt is None:
        raise ForgeProtocolError(f"the receipts endpoint answered for {task} without its receipt")
    key = connection.receipt_key() if receipt.issuer == connection.audience else None
    if not receipt.verify_signature(key):
        raise ForgeProtocolError(f"the receipt for {task} is not signed by its issuer {receipt.issuer}")
    return receipt
