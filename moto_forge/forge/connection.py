"""A ucanto connection: invocations out as an agent message CAR over HTTP,
receipts back, every block and signature checked.

The transport is injectable (any ``send(body: bytes, headers) -> bytes``), so
unit tests can look at the signed request without a network.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from moto_forge.errors import ForgeError
from moto_forge.ipld.cid import CID
from moto_forge.ucan.message import AgentMessage, Receipt, decode_message, encode_message
from moto_forge.ucan.principal import Signer, Verifier
from moto_forge.ucan.ucan import UCAN, Capability

CAR_CONTENT_TYPE = "application/vnd.ipld.car"
DEFAULT_TTL_SECONDS = 60 * 60

Transport = Callable[[bytes, dict[str, str]], bytes]


class ForgeProtocolError(ForgeError):
    """A Forge service answered with something that is not a valid, signed ucanto reply."""


def http_transport(url: str, timeout: float = 30.0, session: requests.Session | None = None) -> Transport:
    """POST the message CAR to ``url`` and return the reply CAR."""
    http = session or requests.Session()

    def send(body: bytes, headers: dict[str, str]) -> bytes:
        try:
            response = http.post(url, data=body, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise ForgeProtocolError(f"cannot reach Forge service at {url}: {exc}") from exc
        if response.status_code >= 300:
            raise ForgeProtocolError(f"Forge service at {url} answered HTTP {response.status_code}")
        return response.content

    return send


@dataclass
class Connection:
    """An agent talking to one ucanto service (``audience``, e.g. ``did:web:...``)."""

    agent: Signer
    audience: str
    transport: Transport
    service_key: Verifier | None = None
    """The did:key the service signs receipts with (its did:web resolves to it)."""
    timeout: float = 30.0
    """Seconds any one network wait may take (connect, or a pause while reading) in calls
    this connection makes, including the blob PUTs of :func:`moto_forge.forge.blobs.add_blob`."""
    receipts_url: str | None = None
    """The service's receipts endpoint (``GET <it>/<task CID>``), where receipts of tasks
    that finish later (``blob/accept``) are read."""
    resolve_key: Callable[[], Verifier] | None = None
    """Where the service's key comes from when ``service_key`` is not given (a did:web
    resolver, :mod:`moto_forge.forge.didweb`; asked on every reply, it caches)."""

    def receipt_key(self) -> Verifier | None:
        """The key receipts must be signed with (``None``: their issuer's, if a did:key)."""
        if self.service_key is not None:
            return self.service_key
        return self.resolve_key() if self.resolve_key is not None else None

    def invoke(
        self,
        resource: str,
        ability: str,
        nb: dict[str, object] | None = None,
        proofs: Sequence[UCAN] = (),
        facts: Sequence[dict[str, Any]] = (),
    ) -> tuple[UCAN, list[UCAN]]:
        """An invocation of ``ability`` on ``resource`` by the agent, with ``proofs`` (their
        blocks go with it) and ``facts`` (whatever blocks they link: the caller's to send)."""
        invocation = UCAN.issue(
            self.agent,
            self.audience,
            [Capability(resource, ability, nb)],
            int(time.time()) + DEFAULT_TTL_SECONDS,
            proofs=[p.cid for p in proofs],
            facts=list(facts),
            nonce=str(time.time_ns()),
        )
        return invocation, list(proofs)

    def send(
        self, invocations: Sequence[tuple[UCAN, list[UCAN]]], extra_blocks: Sequence[tuple[CID, bytes]] = ()
    ) -> tuple[list[Receipt], AgentMessage]:
        """Send the invocations (and blocks they refer to) in one message; return their
        receipts, in order and verified, and the whole reply (its blocks hold the effects)."""
        _, body = encode_message(list(invocations), extra_blocks=extra_blocks)
        try:
            reply = decode_message(self.transport(body, {"content-type": CAR_CONTENT_TYPE, "accept": CAR_CONTENT_TYPE}))
        except ForgeError as exc:
            if isinstance(exc, ForgeProtocolError):
                raise
            raise ForgeProtocolError(f"unreadable reply from {self.audience}: {exc}") from exc
        receipts = []
        key = self.receipt_key()
        for invocation, _ in invocations:
            receipt = reply.receipts.get(invocation.cid)
            if receipt is None:
                raise ForgeProtocolError(f"no receipt for invocation {invocation.cid}")
            if not receipt.verify_signature(key):
                raise ForgeProtocolError(f"receipt {receipt.cid} is not signed by {self.audience}")
            receipts.append(receipt)
        return receipts, reply

    def execute(self, *invocations: tuple[UCAN, list[UCAN]]) -> list[Receipt]:
        """Send the invocations in one message; return their receipts, in order, verified."""
        return self.send(invocations)[0]


def open_connection(
    agent: Signer,
    url: str,
    did: str,
    key: str | None = None,
    did_document: str | None = None,
    timeout: float = 30.0,
) -> Connection:
    """The agent's connection to the upload service at ``url`` named ``did``: its receipts
    checked against ``key`` when given, else against what its did:web document names
    (:mod:`moto_forge.forge.didweb`, read from ``did_document`` when given); later receipts
    read from ``<url>/receipt``."""
    from moto_forge.forge.didweb import DidWebResolver

    transport = http_transport(url, timeout)
    receipts = f"{url.rstrip('/')}/receipt"
    if key:  # configured: it overrides resolution
        return Connection(agent, did, transport, Verifier.parse(key), timeout, receipts)
    resolver = DidWebResolver(did, did_document, timeout=timeout)
    return Connection(agent, did, transport, None, timeout, receipts, resolver)
