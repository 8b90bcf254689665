"""Bucket-engine benchmarks: put and get of a 1 GiB object on the embedded
store, each in a fresh process so its peak RSS is its own.

Run with ``make bench`` (or ``python -m bench.engine``); writes
``bench/results/engine.json``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench.report import report

SIZE = 1 << 30
BLOCK = 1 << 20


class Generated:
    """A readable stream of ``size`` pseudo-random bytes, never held in memory whole."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = os.urandom(BLOCK)
        self.counter = 0

    def read(self, size: int = -1) -> bytes:
        n = min(self.left, BLOCK if size < 0 else size)
        self.left -= n
        self.counter += 1
        return (self.counter.to_bytes(8, "big") + self.block)[:n]


def child(mode: str, data_dir: str) -> None:
    from moto_forge.bucket.service import BucketService

    service = BucketService.open(data_dir)
    start = time.perf_counter()
    if mode == "put":
        service.create_bucket("bench")
        service.put_object("bench", "big", Generated(SIZE))
    else:
        manifest, _ = service.head_object("bench", "big")
        total = sum(len(piece) for piece in service.read_body(manifest))
        assert total == SIZE
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_rss_mib": peak_kib / 1024}))


def run(mode: str, data_dir: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.engine", mode, data_dir], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as data_dir:
        put = run("put", data_dir)
        get = run("get", data_dir)
    results = {
        "put_1gib_mb_s": SIZE / 1e6 / put["seconds"],
        "put_1gib_peak_rss_mib": put["peak_rss_mib"],
        "get_1gib_mb_s": SIZE / 1e6 / get["seconds"],
        "get_1gib_peak_rss_mib": get["peak_rss_mib"],
    }
    report("engine", "engine benchmarks, embedded store", results)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
    else:
        main()
