"""A Storacha account for moto_forge's agent: log in by email, provision spaces, import a
space made elsewhere; the same capabilities Storacha's own clients invoke.

Logging in (``moto-forge login EMAIL``):

1. ``access/authorize`` on the agent, ``{iss: did:mailto:DOMAIN:USER, att: [{can: "*"}]}``:
   the service emails the account's owner a confirmation link.
2. ``access/claim`` on the agent, asked again until the owner has clicked: the service
   answers with the delegations stored for the agent (``delegations``: CID string ->
   CAR bytes, each CAR rooted at one delegation).  Among them: the account's ``*`` on
   ``ucan:*`` to the agent (issued by the ``did:mailto``, with ucanto's non-standard,
   empty signature) and the service's ``ucan/attest`` of it (``nb.proof`` = its CID).
3. Both are kept in ``<data-dir>/identity/account.car`` (0600): a CAR whose roots are the
   kept delegations, every block they need in it.

``provider/add`` on the account, ``{provider: SERVICE DID, consumer: SPACE DID}``, with
those two as proofs, provisions a space (``moto-forge space provision``).  A space made
with Storacha's CLI comes in as a delegation to the agent
(``moto-forge space import PROOF``; ``space info`` prints the agent DID to delegate
to); it is kept in ``<data-dir>/identity/imported/<space DID>.car``.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from moto_forge.errors import ForgeError
from moto_forge.files import write_private
from moto_forge.forge.connection import Connection
from moto_forge.ipld import dagcbor
from moto_forge.ipld.car import encode_car, read_car
from moto_forge.ipld.cid import CID
from moto_forge.ucan.archive import VARIANT
from moto_forge.ucan.message import Receipt
from moto_forge.ucan.principal import PrincipalError
from moto_forge.ucan.ucan import UCAN

ACCOUNT_PROOFS = "account.car"
"""The account's delegations to the agent, in ``<data-dir>/identity/``."""
LOGIN_POLL_SECONDS = 1.0


class AccountError(ForgeError):
    """Logging in, provisioning or importing failed (says which step and why)."""


def mailto_did(email: str) -> str:
    """The ``did:mailto`` of an email address (``alice@example.com`` ->
    ``did:mailto:example.com:alice``, the local part percent-encoded)."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain or "." not in domain or any(c.isspace() for c in email.strip()):
        raise AccountError(f"{email!r} is not an email address")
    return f"did:mailto:{domain.lower()}:{urllib.parse.quote(local, safe='')}"


@dataclass(frozen=True)
class Proofs:
    """Delegations kept together: the ones to present, and every block they reference."""

    delegations: list[UCAN]
    blocks: dict[CID, bytes]

    def encode(self) -> bytes:
        """A CAR rooted at each delegation, holding every block."""
        blocks = dict(self.blocks)
        for delegation in self.delegations:
            blocks[delegation.cid] = delegation.block
        return encode_car([d.cid for d in self.delegations], blocks.items())

    @classmethod
    def decode(cls, data: bytes) -> Proofs:
        """Read :meth:`encode`'s CAR (or an access/claim answer's, or ``@ucanto/core``'s
        ``Delegation.archive``: its root is then the variant map, one delegation)."""
        try:
            roots, car_blocks = read_car(data)
        except ForgeError as exc:
            raise AccountError(f"not a delegation CAR: {exc}") from exc
        blocks = {block.cid: bytes(block.data) for block in car_blocks}
        if not roots:
            raise AccountError("the delegation CAR has no root")
        return cls([_delegation_at(root, blocks) for root in roots], blocks)


def _delegation_at(root: CID, blocks: dict[CID, bytes]) -> UCAN:
    """The delegation at ``root``: a UCAN block, or an archive's variant map linking one."""
    data = blocks.get(root)
    if data is None:
        raise AccountError(f"the CAR lacks its root block {root}")
    try:
        return UCAN.decode(data)
    except PrincipalError:
        pass
    try:  # a ucanto archive: {"ucan@0.9.1": Link}
        variant = dagcbor.decode(data)
    except ForgeError as exc:
        raise AccountError(f"root {root} is neither a UCAN nor an archive") from exc
    link = variant.get(VARIANT) if isinstance(variant, dict) else None
    if not isinstance(link, CID) or link not in blocks:
        raise AccountError(f"root {root} is neither a UCAN nor a {VARIANT} archive")
    try:
        return UCAN.decode(blocks[link])
    except PrincipalError as exc:
        raise AccountError(f"the archived delegation {link} is not a UCAN: {exc}") from exc


def identity_folder(data_dir: str) -> str:
    return os.path.join(data_dir, "identity")


def _expect_ok(receipt: Receipt, ability: str) -> object:
    """The receipt's ``ok``; :class:`AccountError` naming ``ability`` and the error otherwise."""
    error = receipt.error
    if error is not None:
        name = error.get("name") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        raise AccountError(f"{ability} refused{f' ({name})' if name else ''}: {message}")
    return receipt.ok


def request_access(connection: Connection, account: str) -> None:
    """Step 1 of the module doc: the service emails ``account``'s owner a link."""
    agent = connection.agent.did
    nb: dict[str, object] = {"iss": account, "att": [{"can": "*"}]}
    (receipt,) = connection.execute(connection.invoke(agent, "access/authorize", nb))
    _expect_ok(receipt, "access/authorize")


def claim(connection: Connection) -> Proofs:
    """Step 2 of the module doc, once: every delegation the service holds for the agent."""
    agent = connection.agent.did
    (receipt,) = connection.execute(connection.invoke(agent, "access/claim", {}))
    ok = _expect_ok(receipt, "access/claim")
    encoded = ok.get("delegations") if isinstance(ok, dict) else None
    if not isinstance(encoded, dict):
        raise AccountError("access/claim answered without delegations")
    delegations: list[UCAN] = []
    blocks: dict[CID, bytes] = {}
    for car in encoded.values():
        if not isinstance(car, bytes):
            raise AccountError("access/claim answered a delegation that is not CAR bytes")
        proofs = Proofs.decode(car)
        delegations.extend(proofs.delegations)
        blocks.update(proofs.blocks)
    return Proofs(delegations, blocks)


def account_proofs(found: Proofs, account: str, agent: str, service: str) -> Proofs | None:
    """The account's delegation to the agent and ``service``'s attestation of it, if
    ``found`` holds both (what step 3 keeps)."""
    for delegation in found.delegations:
        if delegation.issuer != account or delegation.audience != agent:
            continue
        for attestation in found.delegations:
            capability = attestation.capabilities[0] if attestation.capabilities else None
            if (
                capability is not None
                and capability.can == "ucan/attest"
                and attestation.issuer == service
                and isinstance(capability.nb, dict)
                and capability.nb.get("proof") == delegation.cid
            ):
                return Proofs([delegation, attestation], found.blocks)
    return None


def wait_for_login(
    connection: Connection,
    account: str,
    timeout: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Proofs:
    """Step 2 until the account's delegation (and its attestation) arrive, or ``timeout``."""
    deadline = clock() + timeout
    while True:
        found = account_proofs(claim(connection), account, connection.agent.did, connection.audience)
        if found is not None:
            return found
        if clock() + LOGIN_POLL_SECONDS > deadline:
            raise AccountError(f"{account} did not confirm the login within {timeout:g} s")
        sleep(LOGIN_POLL_SECONDS)


def save_account(data_dir: str, proofs: Proofs) -> str:
    """Keep the account's proofs (0600, replacing earlier ones); return the path."""
    path = os.path.join(identity_folder(data_dir), ACCOUNT_PROOFS)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    write_private(path, proofs.encode(), replace=True)
    return path


def load_account(data_dir: str) -> tuple[str, Proofs]:
    """The logged-in account's DID and its proofs (:class:`AccountError` if none)."""
    path = os.path.join(identity_folder(data_dir), ACCOUNT_PROOFS)
    try:
        with open(path, "rb") as fh:
            proofs = Proofs.decode(fh.read())
    except FileNotFoundError as exc:
        raise AccountError(f"no account: log in first (moto-forge login EMAIL); {path} is absent") from exc
    accounts = [d.issuer for d in proofs.delegations if d.issuer.startswith("did:mailto:")]
    if not accounts:
        raise AccountError(f"{path} holds no account delegation")
    return accounts[0], proofs


def provision(connection: Connection, account: str, proofs: Proofs, space: str) -> None:
    """``provider/add``: the account adds ``space`` as a consumer of the service."""
    nb: dict[str, object] = {"provider": connection.audience, "consumer": space}
    invocation = connection.invoke(account, "provider/add", nb, proofs.delegations)
    (receipt,), _ = connection.send([invocation], extra_blocks=list(proofs.blocks.items()))
    _expect_ok(receipt, "provider/add")


def space_info(
    connection: Connection, space: str, proofs: Iterable[UCAN], blocks: Sequence[tuple[CID, bytes]] = ()
) -> dict[str, object]:
    """``space/info``: what the service knows of ``space`` (its ``providers``; none when the
    service does not know the space: it is not provisioned)."""
    (receipt,), _ = connection.send([connection.invoke(space, "space/info", {}, list(proofs))], extra_blocks=blocks)
    if isinstance(receipt.error, dict) and receipt.error.get("name") == "SpaceUnknown":
        return {"did": space, "providers": []}
    ok = _expect_ok(receipt, "space/info")
    return ok if isinstance(ok, dict) else {}


def plan(connection: Connection, account: str, proofs: Proofs) -> dict[str, object] | None:
    """``plan/get``: the account's plan (``None`` when it has none)."""
    invocation = connection.invoke(account, "plan/get", {}, proofs.delegations)
    (receipt,), _ = connection.send([invocation], extra_blocks=list(proofs.blocks.items()))
    if receipt.error is not None:
        return None
    return receipt.ok if isinstance(receipt.ok, dict) else None
