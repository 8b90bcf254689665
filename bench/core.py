"""Benchmarks of the pure core: MST build and put, chunker throughput.

Run with ``make bench`` (or ``python -m bench.core``).  Prints a table and
writes ``bench/results/core.json``.  Numbers are medians of several runs.
"""

from __future__ import annotations

import hashlib
import io
import os
import statistics
import time
from collections.abc import Callable

from bench.report import report
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, RAW
from moto_forge.mst import MST
from moto_forge.objects.chunker import DEFAULT_CHUNK_SIZE, chunk_stream

N_KEYS = 100_000
BODY_MIB = 256


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def items(n: int) -> list[tuple[str, CID]]:
    return [(f"data/{i:08d}.json", CID.compute(RAW, str(i).encode())) for i in range(n)]


def bench_mst() -> dict[str, float]:
    data = items(N_KEYS)
    bulk = timed(lambda: MST.from_items(MemoryBlocks(), data).commit(), 3)

    def incremental() -> None:
        tree = MST.empty(MemoryBlocks())
        for key, value in data:
            tree = tree.put(key, value)
        tree.commit()

    incr = timed(incremental, 1)
    source = MemoryBlocks()
    tree = MST.from_items(source, data)
    root, blocks = tree.commit()
    source.put_many(blocks)
    tree = MST.load(source, root)
    for key, _ in data[::97]:  # warm the node cache along a spread of paths
        tree.get(key)
    samples = []
    for i in range(2000):
        key = f"data/{i:08d}.new"
        start = time.perf_counter()
        tree.put(key, CID.compute(RAW, key.encode())).commit()
        samples.append(time.perf_counter() - start)
    gets = timed(lambda: [tree.get(k) for k, _ in data[:10_000]], 3) / 10_000
    return {
        "mst_build_100k_bulk_s": bulk,
        "mst_build_100k_incremental_s": incr,
        "mst_put_into_100k_us": statistics.median(samples) * 1e6,
        "mst_get_in_100k_us": gets * 1e6,
    }


def bench_chunker() -> dict[str, float]:
    body = os.urandom(BODY_MIB << 20)

    def chunker() -> None:
        chunk_stream(io.BytesIO(body), lambda cid, data: None, DEFAULT_CHUNK_SIZE)

    def hashes() -> None:
        sha, md5 = hashlib.sha256(), hashlib.md5()
        view = memoryview(body)
        for off in range(0, len(body), DEFAULT_CHUNK_SIZE):
            sha.update(view[off : off + DEFAULT_CHUNK_SIZE])
            md5.update(view[off : off + DEFAULT_CHUNK_SIZE])

    chunk_s = timed(chunker, 3)
    hash_s = timed(hashes, 3)
    mb = len(body) / 1e6
    return {
        "chunker_256mib_mb_s": mb / chunk_s,
        "hashlib_sha256_md5_256mib_mb_s": mb / hash_s,
        "chunker_vs_hashlib_ratio": hash_s / chunk_s,
    }


def main() -> None:
    results = {**bench_mst(), **bench_chunker()}
    report("core", "core benchmarks", results)


if __name__ == "__main__":
    main()
