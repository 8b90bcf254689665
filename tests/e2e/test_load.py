"""Load: 16 concurrent boto3 clients doing a mix of puts, gets, lists, multipart
uploads and deletes against one ``moto-forge serve`` for a bounded time
(``MOTO_FORGE_LOAD_SECONDS``, default 20).  Zero errors; every acknowledged
write reads back; the server's memory does not grow after warm-up, nor do its sockets
and other open files, and its registry connections and open blob files stay within
their caches' bounds.  The figures are printed in the test summary."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from moto_forge.blocks.blobstore import LocalBlobStore
from moto_forge.registry.sql import POOL
from tests.e2e.conftest import client, start_server

pytestmark = pytest.mark.no_forge

CLIENTS = 16
SECONDS = float(os.environ.get("MOTO_FORGE_LOAD_SECONDS", "20"))
LOAD_STATS: dict[str, float] = {}
"""Printed by tests/conftest.py's terminal summary."""
REGISTRY_FDS_PER_CONNECTION = 2
"""A SQLite connection in WAL mode holds its database and its WAL file open."""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> Counter[str]:
    """The process's open descriptors by kind: ``registry`` (the SQLite registry's files,
    held by its connection pool), ``blob`` (blob files kept open for reads), ``socket``,
    ``other`` (logs, locks, temporary files)."""
    kinds: Counter[str] = Counter()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed since it was listed
            continue
        if target.startswith("socket:"):
            kinds["socket"] += 1
        elif os.path.basename(target).startswith("registry.sqlite3"):
            kinds["registry"] += 1
        elif f"{os.sep}blobs{os.sep}" in target:
            kinds["blob"] += 1
        else:
            kinds["other"] += 1
    return kinds


def keys_under(s3: Any, prefix: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket="load", Prefix=prefix).get("Contents", [])}


class Worker(threading.Thread):
    """One client in its own key space; remembers what the server acknowledged."""

    def __init__(self, n: int, url: str, deadline: float) -> None:
        super().__init__(name=f"load-{n}")
        self.n, self.s3, self.deadline = n, client(url, max_pool_connections=2), deadline
        self.rng = random.Random(n)
        self.objects: dict[str, bytes] = {}
        self.ops = 0
        self.errors: list[str] = []

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            try:
                self.step()
                self.ops += 1
            except Exception as exc:  # every error is a failure of the run
                self.errors.append(f"{type(exc).__name__}: {exc}")

    def step(self) -> None:
        op = self.rng.random()
        key = f"c{self.n}/{self.rng.randrange(40)}"
        if op < 0.35:
            body = self.rng.randbytes(self.rng.randrange(0, 20_000))
            self.s3.put_object(Bucket="load", Key=key, Body=body)
            self.objects[key] = body
        elif op < 0.6 and self.objects:
            key = self.rng.choice(sorted(self.objects))
            got = self.s3.get_object(Bucket="load", Key=key)["Body"].read()
            assert got == self.objects[key], f"{key}: {len(got)} bytes back, {len(self.objects[key])} written"
        elif op < 0.75:
            listed = {
                o["Key"] for o in self.s3.list_objects_v2(Bucket="load", Prefix=f"c{self.n}/").get("Contents", [])
            }
            assert listed == set(self.objects), (sorted(listed ^ set(self.objects)))[:5]
        elif op < 0.85:
            body = self.rng.randbytes(self.rng.randrange(1, 30_000))
            uid = self.s3.create_multipart_upload(Bucket="load", Key=key)["UploadId"]
            part = self.s3.upload_part(Bucket="load", Key=key, UploadId=uid, PartNumber=1, Body=body)
            parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
            self.s3.complete_multipart_upload(Bucket="load", Key=key, UploadId=uid, MultipartUpload=parts)
            self.objects[key] = body
        else:
            self.s3.delete_object(Bucket="load", Key=key)
            self.objects.pop(key, None)


def test_sixteen_clients_mixed_load(tmp_path: Path) -> None:
    server = start_server(str(tmp_path))
    try:
        client(server.url).create_bucket(Bucket="load")
        pid = server.process.pid
        start = time.monotonic()
        workers = [Worker(n, server.url, start + SECONDS) for n in range(CLIENTS)]
        for worker in workers:
            worker.start()
        time.sleep(SECONDS / 3)  # warm-up: caches, connections, threads
        warm_rss, warm_fds = rss_mib(pid), open_fds(pid)
        for worker in workers:
            worker.join(timeout=SECONDS + 120)
        end_rss, end_fds = rss_mib(pid), open_fds(pid)
        errors = [e for w in workers for e in w.errors]
        LOAD_STATS.update(clients=CLIENTS, seconds=SECONDS, operations=sum(w.ops for w in workers),
                          errors=len(errors), warm_rss_mib=warm_rss, end_rss_mib=end_rss,
                          warm_fds=warm_fds.total(), end_fds=end_fds.total(),
                          warm_cached_fds=warm_fds["registry"] + warm_fds["blob"],
                          end_cached_fds=end_fds["registry"] + end_fds["blob"])  # fmt: skip
        assert errors == [], errors[:5]
        assert end_rss <= warm_rss * 1.25 + 40, (warm_rss, end_rss)  # flat after warm-up
        # No descriptor leak: sockets and other files stay flat after warm-up; the registry's
        # and the blob files' grow only to their caches' bounds (the pool opens a connection
        # when more threads than ever before query at once; blob files stay open for reads).
        assert end_fds["socket"] <= warm_fds["socket"] + 8, (warm_fds, end_fds)
        assert end_fds["other"] <= warm_fds["other"] + 8, (warm_fds, end_fds)
        assert end_fds["registry"] <= REGISTRY_FDS_PER_CONNECTION * POOL["max_connections"], end_fds
        assert end_fds["blob"] <= LocalBlobStore.MAX_OPEN_FILES, end_fds

        s3: Any = client(server.url)
        for worker in workers:  # every acknowledged write is there, nothing else is
            assert keys_under(s3, f"c{worker.n}/") == set(worker.objects)
            for key, body in worker.objects.items():
                assert s3.get_object(Bucket="load", Key=key)["Body"].read() == body
    finally:
        server.stop()
