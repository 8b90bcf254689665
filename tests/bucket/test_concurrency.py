"""8 threads and 2 processes write different keys of one bucket at once, through
one registry (SQLite and PostgreSQL): afterwards every key is there."""

import io
import subprocess
import sys
import threading
from pathlib import Path

from moto_forge.bucket.maintenance import fsck
from moto_forge.bucket.service import BucketService
from tests.bucket.workers import content

THREADS = 8
PROCESSES = 2
PER_WRITER = 25
ROOT = Path(__file__).resolve().parents[2]


def test_no_lost_update_across_threads_and_processes(registry_url: str, tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    service = BucketService.open(data_dir, registry_url, chunk_size=1024)
    service.create_bucket("shared")
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.bucket.workers",
                "puts",
                data_dir,
                registry_url,
                "shared",
                f"proc{p}",
                str(PER_WRITER),
            ],
            cwd=ROOT,
        )
        for p in range(PROCESSES)
    ]
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for n in range(PER_WRITER):
                key = f"thread{t}-{n}"
                service.put_object("shared", key, io.BytesIO(content(key)))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [c.wait(timeout=300) for c in children] == [0] * PROCESSES
    assert errors == []

    expected = {f"thread{t}-{n}" for t in range(THREADS) for n in range(PER_WRITER)}
    expected |= {f"proc{p}-{n}" for p in range(PROCESSES) for n in range(PER_WRITER)}
    keys = {key.decode() for key, _ in service.tree("shared").items()}
    assert keys == expected
    for key in sorted(expected)[::17]:
        manifest, _ = service.head_object("shared", key)
        assert b"".join(service.read_body(manifest)) == content(key)
    history = service.registry.history("shared")
    assert len(history) == len(expected) + 1  # one commit per put, none lost or doubled
    assert fsck(service).ok
    service.close()
