"""gc beside live writers (registry.py's gc fence): gc runs in a loop on a service of its
own (its own registry connections, as ``moto-forge gc`` beside a server) while writers,
overwriters, deleters, copiers, multipart uploads and imports run; afterwards every acknowledged
object reads back with its bytes and fsck finds nothing wrong.  Bodies come from a small
pool, so chunks of new writes repeat chunks of deleted ones (a block row that points at
a blob gc is about to delete)."""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from moto_forge.bucket.maintenance import Retention, fsck, gc
from moto_forge.bucket.service import BucketService
from moto_forge.bucket.snapshots import export_car, import_car
from moto_forge.errors import BlobsSwept, GcEpochChanged, NoSuchKey

pytestmark = pytest.mark.slow

BODIES = [bytes([n]) * (700 + 900 * n) for n in range(6)]
"""Bodies of 0.7 to 5.2 KiB (1 KiB chunks): chunk CIDs repeat across writes."""
RUN_SECONDS = 6.0


def test_gc_in_a_loop_beside_writers_loses_no_acknowledged_write(registry_url: str, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    service = BucketService.open(data, registry_url, chunk_size=1024)
    collector = BucketService.open(data, registry_url, chunk_size=1024)
    service.create_bucket("bkt")
    service.create_bucket("src")
    service.create_bucket("seed")  # exported once, its objects deleted: imports reuse its blocks or bring them
    seeded = {f"s-{n}": body + b"seed" for n, body in enumerate(BODIES)}
    for key, body in seeded.items():
        service.put_object("seed", key, io.BytesIO(body))
    seed_car = io.BytesIO()
    export_car(service, "seed", seed_car)
    for key in seeded:
        service.delete_object("seed", key)
    imported: list[str] = []
    acked: dict[str, bytes | None] = {}  # key -> its last acknowledged body (None: deleted)
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []
    reports = []

    def ack(key: str, body: bytes | None) -> None:
        with lock:
            acked[key] = body

    def run(name: str, step: Callable[[random.Random, int], None]) -> threading.Thread:
        def loop() -> None:
            rng = random.Random(name)
            n = 0
            try:
                while not stop.is_set():
                    step(rng, n)
                    n += 1
            except BaseException as exc:  # surfaced by the main thread
                errors.append(exc)

        thread = threading.Thread(target=loop, name=name)
        thread.start()
        return thread

    def writer(rng: random.Random, n: int) -> None:
        body = rng.choice(BODIES)
        service.put_object("bkt", f"new-{n}", io.BytesIO(body))
        ack(f"new-{n}", body)

    def overwriter(rng: random.Random, n: int) -> None:
        key = f"hot-{n % 4}"
        body = rng.choice(BODIES)
        service.put_object("bkt", key, io.BytesIO(body))
        ack(key, body)

    def deleter(rng: random.Random, n: int) -> None:
        key = f"gone-{n}"
        service.put_object("bkt", key, io.BytesIO(rng.choice(BODIES)))
        service.delete_object("bkt", key)
        ack(key, None)

    def copier(rng: random.Random, n: int) -> None:
        """Copies whose source is overwritten and deleted right after: the copy shares blocks
        that only the copy keeps alive."""
        body = rng.choice(BODIES) + n.to_bytes(4, "big")  # unique last chunk
        service.put_object("src", "s", io.BytesIO(body))
        service.copy_object("src", "s", "bkt", f"copy-{n}")
        ack(f"copy-{n}", body)
        service.delete_object("src", "s")

    def uploader(rng: random.Random, n: int) -> None:
        key = f"mp-{n}"
        upload = service.multipart.create("bkt", key)
        parts = [rng.choice(BODIES[3:]) for _ in range(2)]
        etags = []
        for number, part in enumerate(parts, 1):
            etags.append((number, service.multipart.upload_part("bkt", upload, number, io.BytesIO(part)).etag))
        service.multipart.complete("bkt", upload, etags)
        ack(key, b"".join(parts))

    def importer(rng: random.Random, n: int) -> None:
        """Imports of one CAR whose blocks the store may still hold (not stored again) or
        a sweep may be taking: a bucket is created with every block, or the import fails."""
        try:
            import_car(service, io.BytesIO(seed_car.getvalue()), f"imp-{n}")
        except (GcEpochChanged, BlobsSwept):
            return  # a sweep took blocks the import counted on: refused, nothing created
        with lock:
            imported.append(f"imp-{n}")
        time.sleep(0.05)

    def collect() -> None:
        while not stop.wait(0.01):  # sweeps back to back, a breath apart
            try:
                reports.append(gc(collector, Retention(keep_last=1, keep_days=0), grace_seconds=60))
            except BaseException as exc:
                errors.append(exc)
                return

    service.multipart.min_part_size = 1
    threads = [run(f.__name__, f) for f in (writer, overwriter, deleter, copier, uploader, importer)]
    gc_thread = threading.Thread(target=collect, name="gc")
    gc_thread.start()
    time.sleep(RUN_SECONDS)
    stop.set()
    for thread in [*threads, gc_thread]:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(reports) >= 2, "gc ran at least twice beside the writers"
    assert sum(r.blobs_deleted for r in reports) > 0, "gc deleted something while writers ran"

    reports.append(gc(collector, Retention(keep_last=1, keep_days=0), grace_seconds=60))
    fresh = BucketService.open(data, registry_url, chunk_size=1024)  # nothing cached
    try:
        for key, body in sorted(acked.items()):
            if body is None:
                with pytest.raises(NoSuchKey):
                    fresh.head_object("bkt", key)
                continue
            manifest, _ = fresh.head_object("bkt", key)
            assert b"".join(fresh.read_body(manifest)) == body, key
        listed = {key for key, _ in fresh.tree("bkt").items()}
        assert listed == {k.encode() for k, body in acked.items() if body is not None}
        assert imported, "some imports succeeded beside gc"
        for bucket in imported:
            for key, body in seeded.items():
                manifest, _ = fresh.head_object(bucket, key)
                assert b"".join(fresh.read_body(manifest)) == body, (bucket, key)
        report = fsck(fresh)
        assert report.ok, report.problems
    finally:
        fresh.close()
        collector.close()
        service.close()


def test_a_write_whose_identical_blob_a_sweep_deletes_places_it_again(registry_url: str, tmp_path: Path) -> None:
    """The race the loop above found: a write produces a CAR byte-identical to an unreachable
    one (same key, body and second), so placing its file finds the old file there; a sweep
    then deletes that file before the write commits.  The write must notice (the gc epoch
    moved since it placed its files) and place them again."""
    data = str(tmp_path / "data")
    service = BucketService.open(data, registry_url, chunk_size=1024, clock=lambda: 1_000_000.0)
    collector = BucketService.open(data, registry_url, chunk_size=1024)
    try:
        service.create_bucket("bkt")
        service.put_object("bkt", "k", io.BytesIO(BODIES[3]))
        service.delete_object("bkt", "k")  # the CAR of that put is unreachable once history is pruned
        real_swap = service.registry.swap_roots
        sweeps = []

        def swap_after_a_sweep(*args: object, **kwargs: object) -> object:
            if not sweeps:  # the files of this write are placed: a sweep runs now, once
                sweeps.append(gc(collector, Retention(keep_last=1, keep_days=0), grace_seconds=60))
            return real_swap(*args, **kwargs)  # type: ignore[arg-type]

        service.registry.swap_roots = swap_after_a_sweep  # type: ignore[method-assign]
        service.put_object("bkt", "k", io.BytesIO(BODIES[3]))  # byte-identical CAR to the first put
        assert sweeps and sweeps[0].blobs_deleted > 0
        manifest, _ = service.head_object("bkt", "k")
        assert b"".join(service.read_body(manifest)) == BODIES[3]
        report = fsck(service)
        assert report.ok, report.problems
    finally:
        service.close()
        collector.close()
