"""A Storacha user's way in, against a peer that provisions nothing itself: `moto-forge
login` (the emailed link clicked through the peer's test hook), `space provision`, `space
info --forge`, then `serve --forge` writes that `upload/list` shows; and a space made with
@storacha/client (npm), delegated to moto_forge's agent and `space import`-ed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from moto_forge.bucket.service import BucketService
from moto_forge.forge.identity import Identity
from tests.e2e.conftest import client, start_server
from tests.support.forge_peers import PEER, ForgePeer, PeerLauncher, listed_uploads

EMAIL = "owner@example.com"


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "moto_forge.cli", *args], capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def service_args(peer: ForgePeer) -> list[str]:
    return ["--forge", peer.url, "--forge-did", peer.did, "--forge-key", peer.key]


def click_emailed_link(peer: ForgePeer, email: str, within: float = 30) -> None:
    """Play the account owner clicking the link the service emailed."""
    deadline = time.monotonic() + within
    while True:
        answer = requests.post(f"{peer.url}/test/confirm-email", params={"email": email}, timeout=10)
        if answer.status_code == 200:
            return
        assert time.monotonic() < deadline, f"no email to {email}: {answer.text}"
        time.sleep(0.1)


def test_login_provision_then_serve(forge_peer: PeerLauncher, tmp_path: Path) -> None:
    data_dir = str(tmp_path)
    identity = Identity.load_or_create(data_dir)
    peer = forge_peer(identity, provision=False)
    server = start_server(data_dir, "--forge", peer.url, "--forge-did", peer.did, "--forge-key", peer.key)
    try:
        s3: Any = client(server.url, retries={"max_attempts": 1})
        with pytest.raises(ClientError) as refused:  # the space is not provisioned: Forge refuses the write
            s3.create_bucket(Bucket="before")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

        login = subprocess.Popen(
            [sys.executable, "-m", "moto_forge.cli", "login", EMAIL, "--data-dir", data_dir, "--wait", "60",
             *service_args(peer)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        click_emailed_link(peer, EMAIL)
        out, err = login.communicate(timeout=90)
        assert login.returncode == 0, err
        assert "logged in as did:mailto:example.com:owner" in out
        kept = Path(data_dir, "identity", "account.car")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600

        before = cli("space", "info", "--data-dir", data_dir, *service_args(peer))
        assert before.returncode == 0, before.stderr
        assert "providers none" in before.stdout

        provisioned = cli("space", "provision", "--data-dir", data_dir, *service_args(peer))
        assert provisioned.returncode == 0, provisioned.stderr
        assert f"provisioned {identity.space.did} with did:mailto:example.com:owner" in provisioned.stdout
        info = cli("space", "info", "--data-dir", data_dir, *service_args(peer))
        assert info.returncode == 0, info.stderr
        assert f"providers {peer.did}" in info.stdout
        assert "account: did:mailto:example.com:owner" in info.stdout

        s3.create_bucket(Bucket="after")
        s3.put_object(Bucket="after", Key="hello.txt", Body=b"through my own account")
        assert s3.get_object(Bucket="after", Key="hello.txt")["Body"].read() == b"through my own account"
        local = BucketService.open(data_dir)
        committed = {r.root for r in local.registry.history("after")[1:]}
        local.close()
        assert committed and committed <= set(listed_uploads(peer, identity))
    finally:
        server.stop()
        peer.stop()


def test_login_that_is_never_confirmed_gives_up(forge_peer: PeerLauncher, tmp_path: Path) -> None:
    identity = Identity.load_or_create(str(tmp_path))
    peer = forge_peer(identity, provision=False)
    try:
        result = cli("login", "nobody@example.com", "--data-dir", str(tmp_path), "--wait", "2", *service_args(peer))
        assert result.returncode == 1
        assert "did:mailto:example.com:nobody did not confirm the login within 2 s" in result.stderr
        assert not Path(tmp_path, "identity", "account.car").exists()
        unprovisioned = cli("space", "provision", "--data-dir", str(tmp_path), *service_args(peer))
        assert unprovisioned.returncode == 1 and "log in first" in unprovisioned.stderr
    finally:
        peer.stop()


def test_a_space_made_with_storacha_client_is_imported_and_served(forge_peer: PeerLauncher, tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    identity = Identity.load_or_create(data_dir)
    peer = forge_peer(identity, provision=False)
    proof = tmp_path / "to-moto-forge.car"
    try:
        env = {**os.environ, "FORGE_URL": peer.url, "FORGE_DID": peer.did, "FORGE_EMAIL": "user@example.org",
               "FORGE_AUDIENCE": identity.agent.did, "FORGE_OUT": str(proof)}  # fmt: skip
        made = subprocess.run(["node", "client-space.mjs"], cwd=PEER, env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        assert made.returncode == 0, made.stderr
        space = json.loads(made.stdout)["space"]
        assert space != identity.space.did

        imported = cli("space", "import", str(proof), "--data-dir", data_dir)
        assert imported.returncode == 0, imported.stderr
        assert f"imported {space}" in imported.stdout
        wrong = cli("space", "import", str(proof), "--data-dir", str(tmp_path / "another"))  # another agent
        assert wrong.returncode == 1 and "not to this server's agent" in wrong.stderr

        server = start_server(data_dir, *service_args(peer), "--forge-space", space)
        try:
            s3: Any = client(server.url)
            s3.create_bucket(Bucket="theirs")
            body = b"in a space moto_forge holds no key of"
            s3.put_object(Bucket="theirs", Key="k.txt", Body=body)
            assert s3.get_object(Bucket="theirs", Key="k.txt")["Body"].read() == body
        finally:
            server.stop()
        local = BucketService.open(data_dir)
        committed = {r.root for r in local.registry.history("theirs")[1:]}
        local.close()
        from moto_forge.forge.connection import open_connection
        from moto_forge.forge.grants import load_imported

        grant = load_imported(data_dir, space, identity.agent.did)
        connection = open_connection(identity.agent, peer.url, peer.did, peer.key)
        invocation = connection.invoke(space, "upload/list", {"size": 100}, list(grant.proofs))
        (receipt,), _ = connection.send([invocation], extra_blocks=grant.blocks)
        assert receipt.error is None, receipt.error
        assert committed <= {entry["root"] for entry in receipt.ok["results"]}  # in the user's own space
    finally:
        peer.stop()
