"""Several `moto-forge serve` instances as one: one real PostgreSQL registry, Forge for the
bytes, each instance's data dir a cache.  Clients spread over three instances write,
overwrite, delete and run multipart uploads across them (concurrent writers of one
bucket: compare-and-swap decides), one instance is SIGKILLed mid-run; afterwards every
acknowledged write reads back from every instance and fsck (reading through Forge) is
clean."""

from __future__ import annotations

import os
import random
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from moto_forge.bucket.maintenance import fsck
from moto_forge.compose import open_service
from moto_forge.forge.identity import Identity
from moto_forge.server import ServerConfig
from tests.e2e.conftest import Served, client, start_server
from tests.support.forge_peers import ForgePeer, PeerLauncher
from tests.support.postgres import create_database

WRITERS = 6
ROUNDS = 12
BUCKET = "shared"


def serve(data_dir: str, registry: str, peer: ForgePeer) -> Served:
    return start_server(data_dir, "--registry", registry, "--forge", peer.url, "--forge-did", peer.did,
                        "--forge-key", peer.key, "--forge-claims", peer.claims_url)  # fmt: skip


def body(writer: int, round_: int) -> bytes:
    return f"writer {writer} round {round_} ".encode() * random.Random(writer * 1000 + round_).randint(1, 400)


def test_three_instances_on_one_registry(forge_peer: PeerLauncher, postgres_admin_url: str, tmp_path: Path) -> None:
    registry = create_database(postgres_admin_url, f"instances_{uuid.uuid4().hex[:10]}")
    dirs = [str(tmp_path / f"instance-{n}") for n in range(3)]
    identity = Identity.load_or_create(dirs[0])
    for other in dirs[1:]:  # one identity for all: the same space and agent (as an operator copies it)
        shutil.copytree(os.path.join(dirs[0], "identity"), os.path.join(other, "identity"))
    peer = forge_peer(identity)
    servers = [serve(d, registry, peer) for d in dirs]
    try:
        clients: list[Any] = [client(s.url, retries={"max_attempts": 1}) for s in servers]
        clients[0].create_bucket(Bucket=BUCKET)

        # multipart across instances: created on one, parts on the others, completed on the first
        upload = clients[0].create_multipart_upload(Bucket=BUCKET, Key="multi.bin")["UploadId"]
        parts_data = [os.urandom(5 << 20), os.urandom(1 << 20)]
        parts = []
        for number, (data, s3) in enumerate(zip(parts_data, clients[1:], strict=True), 1):
            etag = s3.upload_part(Bucket=BUCKET, Key="multi.bin", UploadId=upload, PartNumber=number, Body=data)["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        clients[0].complete_multipart_upload(Bucket=BUCKET, Key="multi.bin", UploadId=upload,
                                             MultipartUpload={"Parts": parts})  # fmt: skip
        expected: dict[str, bytes | None] = {"multi.bin": b"".join(parts_data)}
        guard = threading.Lock()
        killed = threading.Event()
        errors: list[Exception] = []
        in_doubt: dict[str, list[bytes | None]] = {}
        """Per key: writes after its last acknowledged one that the killed instance did not
        answer (each may or may not have landed)."""

        def writer(n: int) -> None:
            rnd = random.Random(n)
            for round_ in range(ROUNDS):
                target = rnd.randrange(3)
                if killed.is_set() and target == 2:
                    target = rnd.randrange(2)
                s3 = clients[target]
                key = f"w{n}/k{rnd.randrange(4)}"
                try:
                    if rnd.random() < 0.2:
                        s3.delete_object(Bucket=BUCKET, Key=key)
                        value: bytes | None = None
                    else:
                        value = body(n, round_)
                        s3.put_object(Bucket=BUCKET, Key=key, Body=value)
                except Exception as exc:
                    if target == 2 and killed.is_set():  # the instance being killed: not acknowledged,
                        with guard:  # but it may have committed before it died
                            in_doubt.setdefault(key, []).append(value)
                        continue
                    errors.append(exc)
                    return
                with guard:  # acknowledged: this writer's keys are its own, so the last ack wins
                    expected[key] = value
                    in_doubt.pop(key, None)
                if n == 0 and round_ == ROUNDS // 2:
                    killed.set()
                    servers[2].process.kill()  # SIGKILL, mid-run, writes of other writers in flight

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert killed.is_set()
        assert not errors, errors  # no failure on an instance that was not killed
        servers[2].process.wait(timeout=30)
        servers[2] = serve(dirs[2], registry, peer)  # back, its data dir as it was left
        clients[2] = client(servers[2].url)

        for s3 in clients:  # every acknowledged write, from every instance
            for key, value in expected.items():
                allowed = [value, *in_doubt.get(key, [])]  # the last ack, or a later unanswered write
                try:
                    found: bytes | None = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                except ClientError as exc:
                    assert exc.response["Error"]["Code"] in ("404", "NoSuchKey"), exc
                    found = None
                assert found in allowed, (key, found[:40] if found else found, [a[:40] if a else a for a in allowed])
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.stop()
    for data_dir in dirs:  # fsck from each instance's cache, missing blobs read from Forge and verified
        config = ServerConfig(data_dir=data_dir, registry_url=registry, forge_url=peer.url, forge_did=peer.did,
                              forge_key=peer.key, forge_claims=peer.claims_url)  # fmt: skip
        service = open_service(config)
        try:
            report = fsck(service)
            assert report.ok, (data_dir, report.problems)
        finally:
            service.close()
    peer.stop()


def test_an_instance_without_a_cache_reads_everything_from_forge(
    forge_peer: PeerLauncher, postgres_admin_url: str, tmp_path: Path
) -> None:
    """``--forge-no-cache`` beside a cached instance on one registry: each reads what the
    other wrote (large objects in ranged reads, every block checked), and the uncached
    instance's data dir holds no blob once its writes committed."""
    registry = create_database(postgres_admin_url, f"uncached_{uuid.uuid4().hex[:10]}")
    cached_dir, uncached_dir = str(tmp_path / "cached"), str(tmp_path / "uncached")
    identity = Identity.load_or_create(cached_dir)
    shutil.copytree(os.path.join(cached_dir, "identity"), os.path.join(uncached_dir, "identity"))
    peer = forge_peer(identity)
    cached = serve(cached_dir, registry, peer)
    uncached = start_server(uncached_dir, "--registry", registry, "--forge", peer.url, "--forge-did", peer.did,
                            "--forge-key", peer.key, "--forge-claims", peer.claims_url, "--forge-no-cache")  # fmt: skip
    try:
        a: Any = client(cached.url)
        b: Any = client(uncached.url)
        a.create_bucket(Bucket="both")
        big, small = os.urandom(3 << 20), b"written by the uncached one"
        a.put_object(Bucket="both", Key="big.bin", Body=big)
        b.put_object(Bucket="both", Key="small.txt", Body=small)
        assert b.get_object(Bucket="both", Key="big.bin")["Body"].read() == big  # 3 chunks, each a ranged read
        ranged = b.get_object(Bucket="both", Key="big.bin", Range="bytes=1048570-1048590")["Body"].read()
        assert ranged == big[1048570:1048591]
        assert a.get_object(Bucket="both", Key="small.txt")["Body"].read() == small
        assert b.get_object(Bucket="both", Key="small.txt")["Body"].read() == small
        assert not [p for p in Path(uncached_dir, "blobs").rglob("*") if p.is_file()]  # no state of its own
    finally:
        cached.stop()
        uncached.stop()
        peer.stop()
