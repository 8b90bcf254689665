"""moto_forge's own identity: a generated ed25519 ``did:key`` space and an agent key,
kept in ``<data-dir>/identity/`` (directory 0700, files 0600, never logged).

The space owns the buckets' data in Forge; the agent is what talks to Forge
services.  Each tenant (:mod:`moto_forge.tenants`) has a space of its own in
``<data-dir>/identity/tenants/<name>/`` (its ``space.key`` and its delegation
to the one shared agent).  The space delegates everything on itself to the agent once
(``space-to-agent.car``); delegations to anyone else are issued on demand
(``moto-forge space delegate``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from moto_forge.files import write_private
from moto_forge.tenants import NAME as TENANT_NAME
from moto_forge.ucan.archive import archive, extract
from moto_forge.ucan.principal import Signer
from moto_forge.ucan.ucan import UCAN, Capability

SPACE_KEY = "space.key"
AGENT_KEY = "agent.key"
AGENT_PROOF = "space-to-agent.car"


def _load_key(path: str) -> Signer:
    """The signer in ``path``, generated (0600) on first use."""
    if not os.path.exists(path):
        write_private(path, Signer.generate().encode().encode("ascii") + b"\n")
    with open(path, encoding="ascii") as fh:
        return Signer.decode(fh.read())


@dataclass(frozen=True)
class Identity:
    space: Signer
    agent: Signer
    agent_proof: UCAN
    """space -> agent: ``{with: space, can: "*"}``, no expiry."""

    @classmethod
    def load_or_create(cls, data_dir: str, tenant: str | None = None) -> Identity:
        """The server's identity, or with ``tenant`` that tenant's space with the shared agent."""
        if tenant is not None and not TENANT_NAME.fullmatch(tenant):
            raise ValueError(f"tenant name {tenant!r} is not 1-64 of A-Z a-z 0-9 _ -")
        root = os.path.join(data_dir, "identity")
        folder = root if tenant is None else os.path.join(root, "tenants", tenant)
        made = [os.path.join(root, AGENT_KEY), os.path.join(folder, SPACE_KEY), os.path.join(folder, AGENT_PROOF)]
        if all(os.path.exists(path) for path in made) and not os.access(folder, os.W_OK):
            # a data dir this user may only read (a read-only copy): load, change nothing
            with open(made[2], "rb") as fh:
                proof, _ = extract(fh.read())
            return cls(_load_key(made[1]), _load_key(made[0]), proof)
        folders = [root] if tenant is None else [root, os.path.join(root, "tenants"), folder]
        for path in folders:
            os.makedirs(path, mode=0o700, exist_ok=True)
            os.chmod(path, 0o700)
        agent = _load_key(os.path.join(root, AGENT_KEY))
        space = _load_key(os.path.join(folder, SPACE_KEY))
        proof_path = os.path.join(folder, AGENT_PROOF)
        if os.path.exists(proof_path):
            with open(proof_path, "rb") as fh:
                proof, _ = extract(fh.read())
        else:
            proof = UCAN.issue(space, agent.did, [Capability(space.did, "*")], None)
            write_private(proof_path, archive(proof))
        return cls(space, agent, proof)

    @classmethod
    def tenant_names(cls, data_dir: str) -> list[str]:
        """Every tenant that has a space under ``<data-dir>/identity/tenants/`` (configured
        now or not: a removed tenant's writes still waiting in the outbox must ship)."""
        folder = os.path.join(data_dir, "identity", "tenants")
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        return sorted(
            n for n in names if TENANT_NAME.fullmatch(n) and os.path.exists(os.path.join(folder, n, SPACE_KEY))
        )

    def delegate(self, audience: str, abilities: list[str], expiration: int | None) -> UCAN:
        """A delegation from the space to ``audience`` for ``abilities`` on the space."""
        return UCAN.issue(self.space, audience, [Capability(self.space.did, can) for can in abilities], expiration)
