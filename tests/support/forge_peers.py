"""Forge peers the tests point moto_forge at: the real @storacha/upload-api from npm
(tests/forge/peer/server.mjs, pinned by its lockfile), or, with
``--forge-stack=go``, the real Go services (tests/forge/gostack)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Protocol

import pytest

from moto_forge.forge.connection import Connection, http_transport
from moto_forge.forge.identity import Identity
from moto_forge.ipld.cid import CID
from moto_forge.ucan.principal import Verifier

PEER = Path(__file__).resolve().parents[1] / "forge" / "peer"


class UploadService(Protocol):
    """Where an upload service answers, and who it is."""

    url: str
    did: str
    key: str


class ForgePeer(UploadService, Protocol):
    """An upload service moto_forge can be pointed at, and the indexer behind it."""

    claims_url: str

    def stop(self) -> None: ...


class PeerLauncher(Protocol):
    """Starts a Forge peer with the spaces of ``identity`` and ``tenants`` provisioned for the
    (shared) agent (none with ``provision=False``: moto_forge must log in and provision)."""

    def __call__(self, identity: Identity, *tenants: Identity, provision: bool = True) -> ForgePeer: ...


def space_keys(identity: Identity, tenants: tuple[Identity, ...]) -> str:
    """The peers' FORGE_SPACE_KEY: every space's signer, comma-separated, the server's first."""
    return ",".join(i.space.encode() for i in (identity, *tenants))


class UploadPeer:
    """tests/forge/peer/server.mjs: the real upload-api over HTTP, our space provisioned."""

    def __init__(self, peer: Path, space_key: str, agent_key: str) -> None:
        env = {**os.environ, "FORGE_SPACE_KEY": space_key, "FORGE_AGENT_KEY": agent_key}
        self.process = subprocess.Popen(["node", "server.mjs"], cwd=peer, env=env, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the upload-api peer did not start"
        info = json.loads(line)
        self.url: str = info["url"]
        self.did: str = info["did"]
        self.key: str = info["key"]
        self.claims_url = self.url + "/claims"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def peer_launcher(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> PeerLauncher:
    """The launcher ``--forge-stack`` chooses: the npm peer (default) or the Go stack."""
    if config.getoption("--forge-stack") == "go":
        from tests.forge.gostack.stack import start_go_stack

        def go(identity: Identity, *tenants: Identity, provision: bool = True) -> ForgePeer:
            workdir = tmp_path_factory.mktemp("gostack")
            keys = space_keys(identity, tenants) if provision else ""
            return start_go_stack(workdir, keys, identity.agent.encode())

        return go
    assert (PEER / "node_modules" / "@ucanto" / "core").is_dir(), "run `make test` (it runs npm ci in tests/forge/peer)"

    def npm(identity: Identity, *tenants: Identity, provision: bool = True) -> ForgePeer:
        return UploadPeer(PEER, space_keys(identity, tenants) if provision else "", identity.agent.encode())

    return npm


def peer_blobs(peer: ForgePeer, identity: Identity) -> set[bytes]:
    """The digests of every blob the peer holds for ``identity``'s space (``space/blob/list``)."""
    connection = Connection(identity.agent, peer.did, http_transport(peer.url), Verifier.parse(peer.key))
    invocation = connection.invoke(identity.space.did, "space/blob/list", {"size": 1000}, [identity.agent_proof])
    (receipt,) = connection.execute(invocation)
    assert receipt.error is None, receipt.error
    return {entry["blob"]["digest"] for entry in receipt.ok["results"]}


def listed_uploads(peer: UploadService, identity: Identity) -> dict[CID, list[CID]]:
    """Every upload the peer lists for ``identity``'s space (``upload/list``): root -> shards."""
    connection = Connection(identity.agent, peer.did, http_transport(peer.url), Verifier.parse(peer.key))
    invocation = connection.invoke(identity.space.did, "upload/list", {"size": 1000}, [identity.agent_proof])
    (receipt,) = connection.execute(invocation)
    assert receipt.error is None, receipt.error
    return {entry["root"]: list(entry["shards"]) for entry in receipt.ok["results"]}
