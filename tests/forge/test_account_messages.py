"""What `login` and `space info` send, checked without a service: every capability carries
an `nb` map, empty when it has no caveats (Go's ucanto validator, in sprue, refuses an
`access/claim` without one as "not an IPLD node"; the JS services accept both)."""

from __future__ import annotations

import contextlib

from moto_forge.forge.account import AccountError, claim, space_info
from moto_forge.forge.connection import Connection, ForgeProtocolError
from moto_forge.ucan.message import decode_message
from moto_forge.ucan.principal import Signer


def sent_capabilities(call: object) -> list[dict[str, object]]:
    """The capabilities of the one invocation ``call(connection)`` sends."""
    sent: list[bytes] = []

    def transport(body: bytes, headers: dict[str, str]) -> bytes:
        sent.append(body)
        raise ForgeProtocolError("no service here")

    connection = Connection(Signer.generate(), "did:web:up.example", transport)
    with contextlib.suppress(ForgeProtocolError, AccountError):  # nobody answers: only what was sent matters
        call(connection)  # type: ignore[operator]
    (invocation,) = decode_message(sent[0]).invocations
    return [c.to_ipld() for c in invocation.capabilities]


def test_access_claim_carries_an_empty_nb() -> None:
    (capability,) = sent_capabilities(claim)
    assert capability["can"] == "access/claim" and capability["nb"] == {}


def test_space_info_carries_an_empty_nb() -> None:
    (capability,) = sent_capabilities(lambda connection: space_info(connection, "did:key:z6Mkspace", []))
    assert capability["can"] == "space/info" and capability["nb"] == {}
