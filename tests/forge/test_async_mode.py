"""Async write mode: with Forge answering 503, S3 writes still succeed (after the
local fsync) and wait in the durable outbox, across a restart of moto_forge; when
Forge answers again the outbox delivers them in order and the forge root catches up."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from moto_forge.bucket.service import BucketService
from moto_forge.forge.identity import Identity
from tests.e2e.conftest import client, start_server
from tests.support.fault_proxy import FaultProxy
from tests.support.forge_peers import ForgePeer, PeerLauncher, peer_blobs


class Switch(FaultProxy):
    """The peer behind a proxy that can be turned into a 503-answering outage (``up``)."""

    @property
    def up(self) -> bool:
        return self.mode == "pass"

    @up.setter
    def up(self, value: bool) -> None:
        self.mode = "pass" if value else "fail"


@pytest.fixture
def outage(forge_peer: PeerLauncher, tmp_path: Path) -> Iterator[tuple[ForgePeer, Switch, Identity]]:
    identity = Identity.load_or_create(str(tmp_path))
    peer = forge_peer(identity)
    switch = Switch(peer.url)
    yield peer, switch, identity
    switch.close()
    peer.stop()


def status(data_dir: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "moto_forge.cli", "status", "--data-dir", data_dir],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_outbox_survives_an_outage_and_a_restart(outage: tuple[ForgePeer, Switch, Identity], tmp_path: Path) -> None:
    peer, switch, identity = outage
    data_dir = str(tmp_path)
    flags = ["--forge", switch.url, "--forge-did", peer.did, "--forge-key", peer.key,
             "--forge-claims", peer.claims_url, "--write-mode", "async"]  # fmt: skip
    switch.up = False
    server = start_server(data_dir, *flags)
    try:
        s3: Any = client(server.url)
        s3.create_bucket(Bucket="offline")
        bodies = {f"k{i}": f"written while Forge was down {i}".encode() for i in range(3)}
        for key, body in bodies.items():
            s3.put_object(Bucket="offline", Key=key, Body=body)  # acknowledged after the local fsync
        assert s3.get_object(Bucket="offline", Key="k2")["Body"].read() == bodies["k2"]
        report = status(data_dir)
        assert "outbox: 4 write(s) waiting for Forge" in report and "503" in report
        assert "forge -" in report
        server.stop()

        server = start_server(data_dir, *flags)  # the outbox is on disk: nothing is lost
        assert "outbox: 4 write(s)" in status(data_dir)
        switch.up = True
        deadline = time.monotonic() + 120
        while "outbox: 0 write(s)" not in status(data_dir):
            assert time.monotonic() < deadline, status(data_dir)
            time.sleep(0.5)
        local = BucketService.open(data_dir)
        cars = [b for b in local.registry.list_blobs() if b.kind == "car"]
        record = local.head_bucket("offline")
        local.close()
        held = peer_blobs(peer, identity)
        for car in cars:
            car_bytes = Path(data_dir, "blobs", car.multihash[-2:], car.multihash).read_bytes()
            assert b"\x12\x20" + hashlib.sha256(car_bytes).digest() in held
        assert record.forge_root == record.root
    finally:
        server.stop()


def test_sync_mode_refuses_writes_while_forge_answers_5xx(
    outage: tuple[ForgePeer, Switch, Identity], tmp_path: Path
) -> None:
    peer, switch, _ = outage
    server = start_server(str(tmp_path), "--forge", switch.url, "--forge-did", peer.did, "--forge-key", peer.key,
                          "--forge-claims", peer.claims_url)  # fmt: skip
    try:
        s3: Any = client(server.url)
        s3.create_bucket(Bucket="strict-sync")
        root = s3.put_object(Bucket="strict-sync", Key="k", Body=b"in forge")["ResponseMetadata"]["HTTPHeaders"][
            "x-forge-root"
        ]
        switch.up = False
        refused: Any = client(server.url, retries={"max_attempts": 1})
        with pytest.raises(ClientError) as info:
            refused.put_object(Bucket="strict-sync", Key="k", Body=b"must not land")
        assert info.value.response["Error"]["Code"] == "ServiceUnavailable"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        switch.up = True
        head = s3.head_object(Bucket="strict-sync", Key="k")
        assert head["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"] == root
        assert s3.get_object(Bucket="strict-sync", Key="k")["Body"].read() == b"in forge"
    finally:
        server.stop()
