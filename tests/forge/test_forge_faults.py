"""The Forge peer slow, failing, or answering wrong bytes, with the real upload service
behind a misbehaving proxy: every wait is bounded, transient failures are retried, and
only verified data is ever kept or served."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from moto_forge.forge.identity import Identity
from tests.e2e.conftest import Served, client, start_server
from tests.support.fault_proxy import FaultProxy
from tests.support.forge_peers import ForgePeer, PeerLauncher

TIMEOUT = 1.5
"""--forge-timeout of the servers here: any one network wait on Forge."""


@pytest.fixture
def proxied(forge_peer: PeerLauncher, tmp_path: Path) -> Iterator[tuple[ForgePeer, FaultProxy, FaultProxy]]:
    """The peer, a proxy for its upload endpoint and one for its claims endpoint."""
    peer = forge_peer(Identity.load_or_create(str(tmp_path)))
    upload = FaultProxy(peer.url)
    claims = FaultProxy(peer.claims_url.rsplit("/", 1)[0])
    yield peer, upload, claims
    upload.close()
    claims.close()
    peer.stop()


def serve(tmp_path: Path, peer: ForgePeer, upload: FaultProxy, claims: FaultProxy) -> Served:
    return start_server(
        str(tmp_path), "--forge", upload.url, "--forge-did", peer.did, "--forge-key", peer.key,
        "--forge-claims", claims.url + "/claims", "--forge-timeout", str(TIMEOUT),
    )  # fmt: skip


def refused(s3: Any, call: str, **kwargs: Any) -> tuple[str, int, float]:
    started = time.monotonic()
    with pytest.raises(ClientError) as info:
        getattr(s3, call)(**kwargs)
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], time.monotonic() - started


def test_a_slow_forge_fails_sync_writes_within_the_timeout(
    proxied: tuple[ForgePeer, FaultProxy, FaultProxy], tmp_path: Path
) -> None:
    peer, upload, claims = proxied
    server = serve(tmp_path, peer, upload, claims)
    try:
        s3: Any = client(server.url)
        once: Any = client(server.url, retries={"total_max_attempts": 1})
        s3.create_bucket(Bucket="slow")
        root = s3.put_object(Bucket="slow", Key="k", Body=b"v1")["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"]
        upload.mode, upload.delay = "slow", 4 * TIMEOUT
        code, status, took = refused(once, "put_object", Bucket="slow", Key="k", Body=b"v2 must not land")
        assert (code, status) == ("ServiceUnavailable", 503)
        assert took < 3 * TIMEOUT, f"a slow Forge held the write for {took:.1f} s"
        upload.mode = "pass"
        head = s3.head_object(Bucket="slow", Key="k")
        assert head["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"] == root
        assert s3.get_object(Bucket="slow", Key="k")["Body"].read() == b"v1"
        s3.put_object(Bucket="slow", Key="k", Body=b"v2 once Forge is fast again")
        assert s3.get_object(Bucket="slow", Key="k")["Body"].read() == b"v2 once Forge is fast again"
    finally:
        server.stop()


def _write_then_lose_local_blobs(tmp_path: Path, peer: ForgePeer, upload: FaultProxy, claims: FaultProxy) -> Served:
    server = serve(tmp_path, peer, upload, claims)
    s3: Any = client(server.url)
    s3.create_bucket(Bucket="remote")
    s3.put_object(Bucket="remote", Key="doc.txt", Body=b"kept in Forge")
    server.stop()
    shutil.rmtree(tmp_path / "blobs")
    return serve(tmp_path, peer, upload, claims)


def test_reads_retry_a_failing_forge_and_keep_only_verified_bytes(
    proxied: tuple[ForgePeer, FaultProxy, FaultProxy], tmp_path: Path
) -> None:
    peer, upload, claims = proxied
    server = _write_then_lose_local_blobs(tmp_path, peer, upload, claims)
    try:
        once: Any = client(server.url, retries={"total_max_attempts": 1})
        # wrong bytes from Forge: never served, never kept; a clean retryable error naming the blob
        claims.mode = "corrupt"
        code, status, _ = refused(once, "get_object", Bucket="remote", Key="doc.txt")
        assert (code, status) == ("ServiceUnavailable", 503)
        assert not any((tmp_path / "blobs").rglob("z*")), "unverified bytes were kept"
        # Forge down for every attempt: the same, within the bounded retries
        claims.mode = "fail"
        before = claims.requests
        code, status, took = refused(once, "get_object", Bucket="remote", Key="doc.txt")
        assert (code, status) == ("ServiceUnavailable", 503)
        assert claims.requests - before == 3  # 3 attempts in all, then a clean error
        # slow: each wait is bounded by the timeout
        claims.mode, claims.delay = "slow", 4 * TIMEOUT
        code, status, took = refused(once, "get_object", Bucket="remote", Key="doc.txt")
        assert (code, status) == ("ServiceUnavailable", 503)
        assert took < 3 * TIMEOUT + 2, f"a slow Forge held the read for {took:.1f} s"
        # two transient failures: the retriever's retries absorb them and the read succeeds
        claims.mode = "pass"
        claims.fail_next(2)
        got = once.get_object(Bucket="remote", Key="doc.txt")
        assert got["Body"].read() == b"kept in Forge"
        assert any((tmp_path / "blobs").rglob("z*")), "the verified blob is kept locally"
    finally:
        server.stop()
