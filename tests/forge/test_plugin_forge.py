"""The pytest plugin and mock_forge take the same Forge settings as `serve`, so a
suite written for the embedded default runs unchanged against Forge."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3

from moto_forge.bucket.service import BucketService
from moto_forge.forge.identity import Identity
from moto_forge.mock import mock_forge
from tests.support.forge_peers import PeerLauncher, peer_blobs

SUITE = """
def test_uses_s3(forge_s3, forge_server):
    forge_s3.create_bucket(Bucket="from-plugin")
    forge_s3.put_object(Bucket="from-plugin", Key="k", Body=b"through the plugin")
    assert forge_s3.get_object(Bucket="from-plugin", Key="k")["Body"].read() == b"through the plugin"
    assert forge_server.service.head_bucket("from-plugin").forge_root is not None
"""


def test_plugin_and_mock_forge_write_to_forge(forge_peer: PeerLauncher, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    identity = Identity.load_or_create(str(data_dir))
    peer = forge_peer(identity)
    try:
        suite = tmp_path / "test_suite.py"
        suite.write_text(SUITE)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite),
             "--forge-data-dir", str(data_dir), "--forge-url", peer.url, "--forge-did", peer.did,
             "--forge-key", peer.key],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 passed" in result.stdout

        with mock_forge(str(data_dir), forge_url=peer.url, forge_did=peer.did, forge_key=peer.key):
            s3 = boto3.client("s3")
            s3.create_bucket(Bucket="from-mock")
            s3.put_object(Bucket="from-mock", Key="k", Body=b"through mock_forge")
        service = BucketService.open(str(data_dir))
        cars = [b for b in service.registry.list_blobs() if b.kind == "car"]
        service.close()
        held = peer_blobs(peer, identity)
        # create (the empty-tree CAR, shared by both buckets and the reset), two puts, the reset delete
        assert len(cars) >= 3 and len(held) == 2 * len(cars)  # every CAR, and its index, reached Forge
    finally:
        peer.stop()
