"""SIGKILL a writer at random points, over and over: every put that returned is
readable byte for byte afterwards, and fsck finds nothing wrong."""

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from moto_forge.bucket.maintenance import fsck
from moto_forge.bucket.service import BucketService
from moto_forge.errors import NoSuchKey
from moto_forge.registry import default_url
from tests.bucket.workers import content

KILLS = 24
ROOT = Path(__file__).resolve().parents[2]


def read(service: BucketService, key: str) -> bytes:
    manifest, _ = service.head_object("crash", key)
    return b"".join(service.read_body(manifest))


def test_sigkill_loses_no_acknowledged_put(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    registry = default_url(data_dir)
    setup = BucketService.open(data_dir, registry, chunk_size=1024)
    setup.create_bucket("crash")
    setup.close()
    rnd = random.Random(20261128)
    acked: set[int] = set()
    next_n = 0
    for kill in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.bucket.workers", "crash", data_dir, registry, "crash", str(next_n)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert child.stdout is not None

        first = child.stdout.readline()  # wait until it is really writing
        assert first.startswith("start"), first
        time.sleep(rnd.uniform(0.0, 0.4))
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        lines = [first, *out.splitlines()]
        started = [int(line.split()[1]) for line in lines if line.startswith("start")]
        done = [int(line.split()[1]) for line in lines if line.startswith("done")]
        acked.update(done)
        next_n = max(started) + 1

        service = BucketService.open(data_dir, registry, chunk_size=1024)
        report = fsck(service)
        assert report.ok, (kill, report.problems)
        for n in acked:
            assert read(service, f"k{n}") == content(f"k{n}"), (kill, n)
        in_flight = set(started) - set(done)
        for n in in_flight:  # killed mid-put: either fully there or not there at all
            with contextlib.suppress(NoSuchKey):
                assert read(service, f"k{n}") == content(f"k{n}")
        service.close()
    assert len(acked) > KILLS  # the writer made real progress between kills
