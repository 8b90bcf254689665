"""moto_forge's own identity: a generated ed25519 ``did:key`` space and an agent key,
kept in ``<data-dir>/identity/`` (directory 0700, files 0600, never logged).

The space owns the buckets' data in Forge; the agent is what talks to Forge
services.  The space delegates everything on itself to the agent once
(``space-to-agent.car``); delegations to anyone else are issued on demand
(``moto-forge space delegate``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from moto_forge.ucan.archive import archive, extract
from moto_forge.ucan.principal import Signer
from moto_forge.ucan.ucan import UCAN, Capability

SPACE_KEY = "space.key"
AGENT_KEY = "agent.key"
AGENT_PROOF = "space-to-agent.car"


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(path + ".tmp", path)


@dataclass(frozen=True)
class Identity:
    space: Signer
    agent: Signer
    agent_proof: UCAN
    """space -> agent: ``{with: space, can: "*"}``, no expiry."""

    @classmethod
    def load_or_create(cls, data_dir: str) -> Identity:
        folder = os.path.join(data_dir, "identity")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
        keys = {}
        for name in (SPACE_KEY, AGENT_KEY):
            path = os.path.join(folder, name)
            if not os.path.exists(path):
                _write_private(path, Signer.generate().encode().encode("ascii") + b"\n")
            with open(path, encoding="ascii") as fh:
                keys[name] = Signer.decode(fh.read())
        space, agent = keys[SPACE_KEY], keys[AGENT_KEY]
        proof_path = os.path.join(folder, AGENT_PROOF)
        if os.path.exists(proof_path):
            with open(proof_path, "rb") as fh:
                proof, _ = extract(fh.read())
        else:
            proof = UCAN.issue(space, agent.did, [Capability(space.did, "*")], None)
            _write_private(proof_path, archive(proof))
        return cls(space, agent, proof)

    def delegate(self, audience: str, abilities: list[str], expiration: int | None) -> UCAN:
        """A delegation from the space to ``audience`` for ``abilities`` on the space."""
        return UCAN.issue(self.space, audience, [Capability(self.space.did, can) for can in abilities], expiration)
