"""SIGKILL ``moto-forge serve`` at random moments while 8 clients write to it
(puts, multipart uploads, deletes), restart it, and check every key: a write
that was acknowledged is there byte for byte (a delete: the key is gone); a
write in flight at the kill is either fully there or not at all.  ``fsck`` is
clean after the last restart.  The number of kills is printed in the summary."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.e2e.conftest import ROOT, client, start_server

pytestmark = pytest.mark.no_forge

KILLS = int(os.environ.get("MOTO_FORGE_KILLS", "6"))
WRITERS = 8
KILL_STATS: dict[str, int] = {}
"""Printed by tests/conftest.py's terminal summary."""

ABSENT = None


class Writer(threading.Thread):
    """Writes its own keys until the server goes away; ``allowed[key]`` is every state the
    key may be in after a restart (one state once acknowledged, two while in flight)."""

    def __init__(self, n: int, url: str, allowed: dict[str, list[bytes | None]], seed: int) -> None:
        super().__init__(name=f"writer-{n}")
        self.n, self.url, self.allowed = n, url, allowed
        self.rng = random.Random(seed)
        self.acknowledged = 0

    def run(self) -> None:
        s3: Any = client(self.url, retries={"max_attempts": 1}, connect_timeout=2, read_timeout=30)
        while True:
            key = f"w{self.n}/{self.rng.randrange(12)}"
            before = self.allowed.get(key, [ABSENT])[-1]
            op = self.rng.random()
            body: bytes | None = ABSENT if op < 0.2 else self.rng.randbytes(self.rng.randrange(0, 300_000))
            self.allowed[key] = [before, body]  # in flight: either
            try:
                if body is ABSENT:
                    s3.delete_object(Bucket="kill", Key=key)
                elif op < 0.35:
                    uid = s3.create_multipart_upload(Bucket="kill", Key=key)["UploadId"]
                    part = s3.upload_part(Bucket="kill", Key=key, UploadId=uid, PartNumber=1, Body=body)
                    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
                    s3.complete_multipart_upload(Bucket="kill", Key=key, UploadId=uid, MultipartUpload=parts)
                else:
                    s3.put_object(Bucket="kill", Key=key, Body=body)
            except (BotoCoreError, ClientError):
                return  # the server was killed under this request
            self.allowed[key] = [body]
            self.acknowledged += 1


def check(url: str, allowed: dict[str, list[bytes | None]]) -> None:
    """Every key is in one of its allowed states; afterwards that state is the only one."""
    s3: Any = client(url)
    for key, states in allowed.items():
        try:
            got: bytes | None = s3.get_object(Bucket="kill", Key=key)["Body"].read()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "NoSuchKey", exc
            got = ABSENT
        sizes = [None if s is None else len(s) for s in states]
        assert got in states, f"{key}: {None if got is None else len(got)} bytes back, allowed sizes {sizes}"
        allowed[key] = [got]


def test_sigkill_under_concurrent_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data_dir = str(tmp_path)
    allowed: dict[str, list[bytes | None]] = {}
    rng = random.Random(1234)
    server = start_server(data_dir)
    client(server.url).create_bucket(Bucket="kill")
    acknowledged = 0
    try:
        for round_ in range(KILLS):
            writers = [Writer(n, server.url, allowed, rng.randrange(1 << 30)) for n in range(WRITERS)]
            for writer in writers:
                writer.start()
            time.sleep(rng.uniform(0.5, 2.5))
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait()
            for writer in writers:
                writer.join(timeout=60)
            acknowledged += sum(w.acknowledged for w in writers)
            server = start_server(data_dir, port=server.port)
            check(server.url, allowed)
            KILL_STATS.update(kills=round_ + 1, acknowledged=acknowledged, keys=len(allowed))
    finally:
        server.stop()
    report = subprocess.run([sys.executable, "-m", "moto_forge.cli", "fsck", "--data-dir", data_dir],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)  # fmt: skip
    assert report.returncode == 0, report.stdout + report.stderr
    assert acknowledged > KILLS  # the clients did get writes through between kills
