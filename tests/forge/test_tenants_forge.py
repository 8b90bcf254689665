"""Tenants in Forge: each tenant's writes are stored in its own space (its own did:key),
in sync and async write modes, against the real upload service."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from moto_forge import tenants
from moto_forge.bucket.service import BucketService
from moto_forge.forge.identity import Identity
from tests.e2e.conftest import OWN_ACCESS, OWN_SECRET, as_user, start_server
from tests.support.forge_peers import PeerLauncher, peer_blobs


def car_digest(data_dir: str, multihash: str) -> bytes:
    data = Path(data_dir, "blobs", multihash[-2:], multihash).read_bytes()
    return b"\x12\x20" + hashlib.sha256(data).digest()


def wait_for_outbox(data_dir: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        service = BucketService.open(data_dir)
        try:
            if service.registry.outbox_next() is None:
                return
        finally:
            service.close()
        assert time.monotonic() < deadline, "the outbox did not drain"
        time.sleep(0.2)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_each_tenants_writes_go_to_its_own_space(forge_peer: PeerLauncher, tmp_path: Path, mode: str) -> None:
    data_dir = str(tmp_path)
    alice = tenants.add_tenant(os.path.join(data_dir, "tenants.toml"), "alice")
    own_identity = Identity.load_or_create(data_dir)
    alice_identity = Identity.load_or_create(data_dir, "alice")
    assert alice_identity.space.did != own_identity.space.did
    assert alice_identity.agent.did == own_identity.agent.did  # one agent acts for every space
    peer = forge_peer(own_identity, alice_identity)
    server = start_server(
        data_dir, "--access-key", OWN_ACCESS, "--secret-key", OWN_SECRET, "--write-mode", mode,
        "--forge", peer.url, "--forge-did", peer.did, "--forge-key", peer.key, "--forge-claims", peer.claims_url,
    )  # fmt: skip
    try:
        as_alice = as_user(server.url, alice.access_key, alice.secret_key)
        as_alice.create_bucket(Bucket="alice-forge")
        as_alice.put_object(Bucket="alice-forge", Key="a.txt", Body=b"alice's bytes")
        uid = as_alice.create_multipart_upload(Bucket="alice-forge", Key="parts.bin")["UploadId"]
        part = as_alice.upload_part(
            Bucket="alice-forge", Key="parts.bin", UploadId=uid, PartNumber=1, Body=os.urandom(50_000)
        )
        parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
        as_alice.complete_multipart_upload(Bucket="alice-forge", Key="parts.bin", UploadId=uid, MultipartUpload=parts)
        own = as_user(server.url, OWN_ACCESS, OWN_SECRET)
        own.create_bucket(Bucket="server-forge")
        own.put_object(Bucket="server-forge", Key="s.txt", Body=b"the server's bytes")
        if mode == "async":
            wait_for_outbox(data_dir)
    finally:
        server.stop()

    held_by_alice = peer_blobs(peer, alice_identity)
    held_by_server = peer_blobs(peer, own_identity)
    peer.stop()
    local = BucketService.open(data_dir)
    try:
        cars = [b for b in local.registry.list_blobs() if b.kind == "car"]
        alice_root = local.head_bucket("alice-forge").root
        server_root = local.head_bucket("server-forge").root
        assert local.head_bucket("alice-forge").forge_root == alice_root
        empty_root = local.registry.history("alice-forge")[0].root
    finally:
        local.close()
    by_root = {car.root: car_digest(data_dir, car.multihash) for car in cars}
    assert by_root[alice_root] in held_by_alice and by_root[alice_root] not in held_by_server
    assert by_root[server_root] in held_by_server and by_root[server_root] not in held_by_alice
    # Only the empty tree's CAR (and its index), byte-identical for every new bucket, is in both.
    assert by_root[empty_root] in held_by_alice & held_by_server and len(held_by_alice & held_by_server) == 2
    # alice: 4 CARs (bucket, put, part, completion) and their indexes; the server: 2 (bucket, put)
    assert len(held_by_alice) == 2 * 4 and len(held_by_server) == 2 * 2
    assert {car_digest(data_dir, c.multihash) for c in cars} <= held_by_alice | held_by_server


def test_a_removed_tenants_space_still_receives_its_waiting_writes(tmp_path: Path) -> None:
    """The publisher knows every tenant space on disk, so outbox entries of a tenant removed
    from the file still ship (strictly oldest first: one stuck entry would block them all)."""
    from moto_forge.compose import build_app
    from moto_forge.server import ServerConfig
    from moto_forge.ucan.principal import Signer

    path = os.path.join(str(tmp_path), "tenants.toml")
    kept, removed = tenants.add_tenant(path, "kept"), tenants.add_tenant(path, "removed")
    kept_space = Identity.load_or_create(str(tmp_path), "kept").space.did  # as `tenant add` does
    removed_space = Identity.load_or_create(str(tmp_path), "removed").space.did
    tenants.remove_tenant(path, "removed")
    assert Identity.tenant_names(str(tmp_path)) == ["kept", "removed"]
    service_key = Signer.generate()
    config = ServerConfig(data_dir=str(tmp_path), tenants=(kept,), forge_url="http://127.0.0.1:9",
                          forge_did="did:web:up.example", forge_key=service_key.did)  # fmt: skip
    app = build_app(config)
    try:
        publisher = app.service.publish.__self__  # type: ignore[union-attr]
        assert removed_space in publisher.spaces
        assert kept_space in publisher.spaces
        assert removed.access_key not in app.authenticator.credentials  # its key no longer signs in
    finally:
        app.service.close()
