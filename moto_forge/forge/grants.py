"""What moto_forge's agent presents to act on a space: a :class:`SpaceGrant`.

A space moto_forge generated (its own, a tenant's) grants the agent ``*`` with one
delegation it signed itself (``moto_forge/forge/identity.py``).  A space someone made
elsewhere (Storacha's CLI or ``@storacha/client``) comes in as a delegation to the agent,
perhaps through a chain of proofs: ``moto-forge space import PROOF.car`` checks it and
keeps it in ``<data-dir>/identity/imported/<space DID>.car`` (0600), and
``serve --forge-space DID`` then stores the server's own buckets in that space.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from moto_forge.errors import ForgeError
from moto_forge.files import write_private
from moto_forge.forge.identity import Identity
from moto_forge.ipld.cid import CID
from moto_forge.ucan.ucan import UCAN

IMPORTED = "imported"
"""Imported spaces' delegations, in ``<data-dir>/identity/``."""

NEEDED = ("space/blob/add", "space/index/add", "upload/add")
"""What ``serve --forge`` invokes on a space (a grant must cover each)."""


class GrantError(ForgeError):
    """A delegation cannot be used as a space grant (says why)."""


@dataclass(frozen=True)
class SpaceGrant:
    """The space, the delegations presented as proofs, and every block they reference."""

    space: str
    proofs: tuple[UCAN, ...]
    blocks: tuple[tuple[CID, bytes], ...] = ()

    @classmethod
    def of(cls, identity: Identity) -> SpaceGrant:
        """The grant of a space moto_forge holds the key of."""
        return cls(identity.space.did, (identity.agent_proof,))


def covers(granted: str, ability: str) -> bool:
    """Whether ability pattern ``granted`` (``*``, ``space/*``, exact) covers ``ability``."""
    return granted in ("*", ability) or (granted.endswith("/*") and ability.startswith(granted[:-1]))


def grant_from(delegation: UCAN, blocks: dict[CID, bytes], agent: str, now: float | None = None) -> SpaceGrant:
    """The grant ``delegation`` (to ``agent``, on one ``did:key`` space, covering
    :data:`NEEDED`, not expired) gives; :class:`GrantError` otherwise."""
    if delegation.audience != agent:
        raise GrantError(f"the delegation is to {delegation.audience}, not to this server's agent {agent}")
    spaces = {c.with_ for c in delegation.capabilities}
    if len(spaces) != 1 or not next(iter(spaces)).startswith("did:key:"):
        raise GrantError(f"the delegation must be on one did:key space, not on {', '.join(sorted(spaces))}")
    (space,) = spaces
    missing = [a for a in NEEDED if not any(covers(c.can, a) for c in delegation.capabilities)]
    if missing:
        raise GrantError(f"the delegation on {space} does not grant {', '.join(missing)}")
    if delegation.expiration is not None and delegation.expiration <= (now or time.time()):
        raise GrantError(f"the delegation on {space} expired at {delegation.expiration}")
    others = tuple((cid, data) for cid, data in blocks.items() if cid != delegation.cid)
    return SpaceGrant(space, (delegation,), others)


def imported_path(data_dir: str, space: str) -> str:
    return os.path.join(data_dir, "identity", IMPORTED, f"{space.replace(':', '_')}.car")


def import_space(data_dir: str, car: bytes, agent: str) -> SpaceGrant:
    """Check the delegation in ``car`` (:func:`grant_from`) and keep it; return its grant."""
    from moto_forge.forge.account import Proofs

    proofs = Proofs.decode(car)
    grant = grant_from(proofs.delegations[0], proofs.blocks, agent)
    path = imported_path(data_dir, grant.space)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    write_private(path, car, replace=True)
    return grant


def load_imported(data_dir: str, space: str, agent: str) -> SpaceGrant:
    """The grant of a space imported before (:class:`GrantError` if it was not)."""
    from moto_forge.forge.account import Proofs

    path = imported_path(data_dir, space)
    try:
        with open(path, "rb") as fh:
            proofs = Proofs.decode(fh.read())
    except FileNotFoundError as exc:
        raise GrantError(
            f"space {space} was not imported (moto-forge space import PROOF.car): {path} is absent"
        ) from exc
    return grant_from(proofs.delegations[0], proofs.blocks, agent)
