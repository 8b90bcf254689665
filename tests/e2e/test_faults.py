"""Faults on disk, through a real server: a full disk during a PUT, and a blob
corrupted or deleted under a running server.

Disk full: the PUT gets a clean, retryable S3 error (503 ServiceUnavailable),
the root does not move, no temporary file is left, and writes resume once
there is space again.  Damage: reads of the affected object fail with an error
naming the bad block's CID, every other object still reads, and ``fsck`` lists
exactly the damage."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from moto_forge.bucket.service import BucketService
from moto_forge.ipld.cid import CID, RAW
from tests.e2e.conftest import ROOT, Served, client, start_server
from tests.support.damage import lose, overwrite

pytestmark = pytest.mark.no_forge
MIB = 1 << 20


@contextmanager
def small_filesystem(path: Path, size_mib: int) -> Iterator[Path]:
    """A tmpfs of ``size_mib`` MiB mounted at ``path`` (the suite runs as root, as CI does)."""
    assert os.geteuid() == 0, "the disk-full test mounts a small tmpfs: run the suite as root (CI does)"
    path.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fsck(data_dir: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "moto_forge.cli", "fsck", "--data-dir", data_dir],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)  # fmt: skip


def forge_root(server: Served, bucket: str, key: str) -> str:
    return requests.head(f"{server.url}/{bucket}/{key}", timeout=30).headers["x-forge-root"]


def test_a_full_disk_refuses_the_write_cleanly_and_writes_resume(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "small", 24) as data:
        server = start_server(str(data))
        try:
            s3: Any = client(server.url, retries={"max_attempts": 1})
            s3.create_bucket(Bucket="full")
            s3.put_object(Bucket="full", Key="before", Body=b"written while there was space")
            root = forge_root(server, "full", "before")
            free = os.statvfs(data).f_bavail * os.statvfs(data).f_frsize
            filler = data / "filler"
            with open(filler, "wb") as out:
                out.write(b"\0" * (free - 256 * 1024))  # leave 256 KiB
            body = os.urandom(2 * MIB)
            with pytest.raises(ClientError) as info:
                s3.put_object(Bucket="full", Key="big", Body=body)
            assert info.value.response["Error"]["Code"] == "ServiceUnavailable"
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert forge_root(server, "full", "before") == root  # nothing committed
            assert os.listdir(data / "tmp") == []  # nothing half-written left behind
            assert s3.get_object(Bucket="full", Key="before")["Body"].read() == b"written while there was space"

            filler.unlink()  # space returns
            s3.put_object(Bucket="full", Key="big", Body=body)
            assert s3.get_object(Bucket="full", Key="big")["Body"].read() == body
        finally:
            server.stop()
        report = fsck(str(data))
        assert report.returncode == 0, report.stdout + report.stderr


def test_damaged_blobs_fail_only_their_objects_and_fsck_lists_them(tmp_path: Path) -> None:
    server = start_server(str(tmp_path))
    try:
        s3: Any = client(server.url, retries={"max_attempts": 1})
        s3.create_bucket(Bucket="damage")
        bodies = {"corrupt.bin": os.urandom(2 * MIB + 10), "gone.bin": os.urandom(3000), "fine.txt": b"untouched"}
        for key, body in bodies.items():
            s3.put_object(Bucket="damage", Key=key, Body=body)

        service = BucketService.open(str(tmp_path))
        bad = CID.compute(RAW, bodies["corrupt.bin"][:MIB])  # the first chunk: found before any byte is sent
        where = service.registry.locate(bad)
        gone_blob = service.registry.locate(CID.compute(RAW, bodies["gone.bin"]))
        assert where is not None and gone_blob is not None
        gone = {str(cid) for cid in service.registry.blocks_in(gone_blob.blob)}  # its chunk, manifest, nodes
        overwrite(service.registry, service.blobs, where.blob, where.offset + where.length // 2, b"\xff\x00\xff")
        lose(service.registry, service.blobs, gone_blob.blob)  # a small write's CAR: inline in the registry
        service.close()

        for key, names in (("corrupt.bin", {str(bad)}), ("gone.bin", gone)):
            response = requests.get(f"{server.url}/damage/{key}", timeout=60)
            assert response.status_code == 500 and b"InternalError" in response.content, response.content[:300]
            assert any(name.encode() in response.content for name in names)  # the error names the block
        rest = requests.get(f"{server.url}/damage/corrupt.bin", headers={"Range": f"bytes={MIB}-"}, timeout=60)
        assert rest.status_code == 206 and rest.content == bodies["corrupt.bin"][MIB:]  # intact chunks still read
        assert s3.get_object(Bucket="damage", Key="fine.txt")["Body"].read() == b"untouched"
    finally:
        server.stop()
    report = fsck(str(tmp_path))
    assert report.returncode == 1
    problems = [line for line in report.stdout.splitlines() if not line.startswith("fsck:")]
    assert any(str(bad) in line for line in problems)
    assert any(gone_blob.blob in line and "missing" in line for line in problems)
    damage = {str(bad), gone_blob.blob, *gone}
    assert all(any(name in line for name in damage) for line in problems), problems
    # and the S3 objects they belong to, so an operator knows what to restore
    assert any(line.startswith("bucket damage key 'corrupt.bin': its block ") for line in problems), problems
    assert any(line.startswith("bucket damage key 'gone.bin': its block ") for line in problems), problems
    assert not any("'fine.txt'" in line for line in problems)


def fill(path: Path) -> Path:
    """Write zeros to ``path`` until the filesystem is full; the filler file."""
    filler = path / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        for size in (MIB, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def test_on_a_full_disk_deletes_and_gc_still_run_and_bring_space_back(tmp_path: Path) -> None:
    """The blob store keeps a reserve (``<data>/reserve``): a delete or gc that meets a
    full disk gives it back and runs; space then returns for writes."""
    with small_filesystem(tmp_path / "small", 24) as data:
        server = start_server(str(data))
        try:
            s3: Any = client(server.url, retries={"max_attempts": 1})
            s3.create_bucket(Bucket="full")
            bodies = {f"big-{n}": os.urandom(3 * MIB) for n in range(3)}
            for key, body in bodies.items():
                s3.put_object(Bucket="full", Key=key, Body=body)
            assert (data / "reserve").exists()
            filler = fill(data)
            assert os.statvfs(data).f_bavail < 8  # blocks: the disk is full
            with pytest.raises(ClientError) as info:
                s3.put_object(Bucket="full", Key="more", Body=os.urandom(MIB))
            assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

            s3.delete_object(Bucket="full", Key="big-0")  # writes a little: runs on the reserve
            s3.delete_objects(Bucket="full", Delete={"Objects": [{"Key": "big-1"}]})
            done = subprocess.run(
                [sys.executable, "-m", "moto_forge.cli", "gc", "--data-dir", str(data), "--keep-last", "1",
                 "--keep-days", "0"],
                capture_output=True, text=True, timeout=300, cwd=ROOT,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            assert os.statvfs(data).f_bavail * os.statvfs(data).f_frsize > 4 * MIB  # the deleted bodies' space
            s3.put_object(Bucket="full", Key="after", Body=b"space came back")
            assert s3.get_object(Bucket="full", Key="after")["Body"].read() == b"space came back"
            assert s3.get_object(Bucket="full", Key="big-2")["Body"].read() == bodies["big-2"]
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="full")["Contents"]]
            assert keys == ["after", "big-2"]
            filler.unlink()
        finally:
            server.stop()
        report = fsck(str(data))
        assert report.returncode == 0, report.stdout + report.stderr
