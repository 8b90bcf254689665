"""Child processes for the crash and concurrency tests.

``python -m tests.bucket.workers puts DATA_DIR REGISTRY BUCKET PREFIX COUNT``
    puts COUNT objects ``PREFIX-<n>`` (content from :func:`content`).
``python -m tests.bucket.workers crash DATA_DIR REGISTRY BUCKET START``
    puts ``k<n>`` for n = START, START+1, ... forever, printing ``start n``
    before and ``done n`` after each put returns (the parent kills it).
"""

from __future__ import annotations

import hashlib
import io
import sys

from moto_forge.bucket.service import BucketService


def content(key: str) -> bytes:
    """Deterministic bytes for ``key``: 0..6 KiB, so many objects span several 1 KiB chunks."""
    seed = hashlib.sha256(key.encode()).digest()
    return (seed * 200)[: seed[0] * 24]


def main(argv: list[str]) -> None:
    mode, data_dir, registry, bucket = argv[:4]
    service = BucketService.open(data_dir, registry, chunk_size=1024)
    if mode == "puts":
        prefix, count = argv[4], int(argv[5])
        for n in range(count):
            key = f"{prefix}-{n}"
            service.put_object(bucket, key, io.BytesIO(content(key)))
    elif mode == "crash":
        n = int(argv[4])
        while True:
            key = f"k{n}"
            print(f"start {n}", flush=True)
            service.put_object(bucket, key, io.BytesIO(content(key)))
            print(f"done {n}", flush=True)
            n += 1
    service.close()


if __name__ == "__main__":
    main(sys.argv[1:])
