"""The storage commands (snapshots, diff, export, import, fsck, gc) as real subprocesses."""

import contextlib
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from moto_forge.bucket.service import BucketService
from moto_forge.ipld.cid import RAW
from tests.support.damage import overwrite


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moto_forge.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def make_bucket(data_dir: str) -> tuple[list[str], BucketService]:
    service = BucketService.open(data_dir, chunk_size=1024)
    service.create_bucket("photos")
    roots = [str(service.put_object("photos", f"p{i}.jpg", io.BytesIO(os.urandom(3000))).root) for i in range(5)]
    roots.append(str(service.delete_object("photos", "p0.jpg").root))
    return roots, service


def test_snapshots_diff_export_import(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    roots, service = make_bucket(data)
    service.close()
    snaps = run("snapshots", "photos", "--data-dir", data)
    assert snaps.returncode == 0, snaps.stderr
    lines = [line.split("\t") for line in snaps.stdout.splitlines()]
    assert [(int(seq), root) for seq, root, _, _ in lines][1:] == list(enumerate(roots, 1))
    assert lines[-1][3] == "DeleteObject p0.jpg"

    changes = run("diff", "photos", roots[1], roots[-1], env={"MOTO_FORGE_DATA_DIR": data})
    assert changes.stdout.splitlines() == ["- p0.jpg", "+ p2.jpg", "+ p3.jpg", "+ p4.jpg"]

    car = str(tmp_path / "photos.car")
    exported = run("export", "photos", "--out", car, "--data-dir", data)
    assert exported.returncode == 0, exported.stderr
    verified = run("car", "verify", car)
    assert verified.returncode == 0 and f"roots: {roots[-1]}" in verified.stdout

    fresh = str(tmp_path / "fresh")
    imported = run("import", car, "restored", "--data-dir", fresh)
    assert imported.returncode == 0, imported.stderr
    service = BucketService.open(fresh)
    assert str(service.head_bucket("restored").root) == roots[-1]
    service.close()

    old = run("export", "photos", "--out", str(tmp_path / "old.car"), "--root", roots[0], "--data-dir", data)
    assert old.returncode == 0 and roots[0] in old.stdout


def stored_bytes(data: str) -> int:
    """Bytes of every blob of the store at ``data``: its files and the small blobs its
    registry holds inline."""
    files = sum(p.stat().st_size for p in Path(data, "blobs").rglob("*") if p.is_file())
    with contextlib.closing(sqlite3.connect(os.path.join(data, "registry.sqlite3"))) as db:
        (inline,) = db.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM blob_inline").fetchone()
    return files + int(inline)


def test_fsck_finds_exactly_the_damage_and_gc_collects(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    _, service = make_bucket(data)
    manifest, _ = service.head_object("photos", "p3.jpg")
    chunk = next(
        c for c in service.registry.blocks_in(service.registry.locate(manifest.body.root).blob) if c.codec == RAW
    )  # type: ignore[union-attr]
    loc = service.registry.locate(chunk)
    assert loc is not None

    assert run("fsck", "--data-dir", data).returncode == 0
    overwrite(service.registry, service.blobs, loc.blob, loc.offset + 1, b"\x00\x01\x02")
    service.close()
    broken = run("fsck", "--data-dir", data)
    assert broken.returncode == 1
    problems = [line for line in broken.stdout.splitlines() if "block" in line and "fsck:" not in line]
    assert problems and all(str(chunk) in line for line in problems)

    collected = run("gc", "--keep-last", "1", "--keep-days", "0", "--data-dir", data)
    assert collected.returncode == 0, collected.stderr
    assert "history rows" in collected.stdout and ", 6 history rows" in collected.stdout  # seqs 0-5 pruned
    assert "deleted 0 blobs" not in collected.stdout  # p0's chunks and stale MST nodes went
    snaps = run("snapshots", "photos", "--data-dir", data)
    assert len(snaps.stdout.splitlines()) == 1
    after = run("fsck", "--data-dir", data)  # gc touched nothing live: still exactly the one damaged chunk
    assert after.returncode == 1
    remaining = [line for line in after.stdout.splitlines() if "fsck:" not in line]
    assert remaining and all(str(chunk) in line for line in remaining)


def test_store_commands_report_errors_in_one_line(tmp_path: Path) -> None:
    empty = run("snapshots", "nope", "--data-dir", str(tmp_path))
    assert empty.returncode == 1
    assert empty.stderr.strip() == f"moto-forge: no moto_forge store in {tmp_path}: it has no registry.sqlite3"
    BucketService.open(str(tmp_path)).close()
    result = run("snapshots", "nope", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == "moto-forge: The specified bucket does not exist"


def run_on_read_only_mount(folder: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``moto-forge ARGS`` with ``folder`` mounted read-only (a private mount namespace:
    ``unshare -m`` with a read-only bind mount over it, as a copy on read-only media)."""
    command = " ".join(["exec", sys.executable, "-m", "moto_forge.cli", *(f"'{a}'" for a in args)])
    script = f"mount --bind '{folder}' '{folder}' && mount -o remount,ro,bind '{folder}' && cd / && {command}"
    pythonpath = os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": pythonpath})  # fmt: skip


def test_read_commands_work_on_a_read_only_copy(tmp_path: Path) -> None:
    """status, snapshots, diff, fsck, export and space info read a data dir on a read-only
    filesystem (nothing made, migrated or written; a stale listing index is read around);
    gc, which writes, says which path is not writable."""
    data = str(tmp_path / "data")
    roots, service = make_bucket(data)
    service.registry.db.execute_sql("UPDATE bucket SET listed_root = NULL")  # a stale listing index
    service.close()
    assert run("space", "info", "--data-dir", data).returncode == 0  # made while writable
    before = sorted(str(p.relative_to(data)) + str(p.stat().st_mtime_ns) for p in Path(data).rglob("*"))

    status = run_on_read_only_mount(str(tmp_path), "status", "--data-dir", data)
    assert status.returncode == 0 and f"photos\troot {roots[-1]}" in status.stdout, status.stderr
    snaps = run_on_read_only_mount(str(tmp_path), "snapshots", "photos", "--data-dir", data)
    assert snaps.returncode == 0 and snaps.stdout.count("\n") == len(roots) + 1, snaps.stderr
    changes = run_on_read_only_mount(str(tmp_path), "diff", "photos", roots[1], roots[-1], "--data-dir", data)
    assert changes.stdout.splitlines() == ["- p0.jpg", "+ p2.jpg", "+ p3.jpg", "+ p4.jpg"], changes.stderr
    checked = run_on_read_only_mount(str(tmp_path), "fsck", "--data-dir", data)
    assert checked.returncode == 0 and ": ok" in checked.stdout, checked.stdout + checked.stderr
    space = run_on_read_only_mount(str(tmp_path), "space", "info", "--data-dir", data)
    assert space.returncode == 0 and space.stdout.startswith("space: did:key:"), space.stderr
    with tempfile.TemporaryDirectory() as elsewhere:  # outside the read-only mount
        car = os.path.join(elsewhere, "photos.car")
        exported = run_on_read_only_mount(str(tmp_path), "export", "photos", "--out", car, "--data-dir", data)
        assert exported.returncode == 0 and f"root {roots[-1]}" in exported.stdout, exported.stderr
        assert run("car", "verify", car).returncode == 0

    collected = run_on_read_only_mount(str(tmp_path), "gc", "--data-dir", data)
    assert collected.returncode != 0
    assert f"{data}/registry.sqlite3 is not writable" in collected.stderr, collected.stderr
    assert "Traceback" not in collected.stderr
    after = sorted(str(p.relative_to(data)) + str(p.stat().st_mtime_ns) for p in Path(data).rglob("*"))
    assert after == before


def test_import_into_the_store_it_came_from_stores_no_second_copy(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    roots, service = make_bucket(data)
    service.close()
    car = str(tmp_path / "photos.car")
    assert run("export", "photos", "--out", car, "--data-dir", data).returncode == 0
    blob_bytes = stored_bytes(data)
    imported = run("import", car, "photos-copy", "--data-dir", data)
    assert imported.returncode == 0 and roots[-1] in imported.stdout, imported.stderr
    assert stored_bytes(data) == blob_bytes
    assert list(Path(data, "tmp").iterdir()) == []
    collected = run("gc", "--dry-run", "--grace-seconds", "0", "--data-dir", data)
    assert "would delete 0 blobs" in collected.stdout, collected.stdout
    service = BucketService.open(data)
    assert service.list_objects("photos-copy").entries == service.list_objects("photos").entries
    service.close()


def test_export_into_a_pipe_writes_to_it_and_leaves_it_a_pipe(tmp_path: Path) -> None:
    """``--out`` naming something that is not a regular file (a FIFO here; /dev/null alike) is
    written to, never replaced by a file renamed over it."""
    import stat
    import threading

    data = str(tmp_path / "data")
    roots, service = make_bucket(data)
    service.close()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    exported = run("export", "photos", "--out", str(fifo), "--data-dir", data)
    reader.join(timeout=60)
    assert exported.returncode == 0, exported.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    car = tmp_path / "received.car"
    car.write_bytes(received[0])
    verified = run("car", "verify", str(car))
    assert verified.returncode == 0 and f"roots: {roots[-1]}" in verified.stdout
