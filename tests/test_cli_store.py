"""The storage commands (snapshots, diff, export, import, fsck, gc) as real subprocesses."""

import io
import os
import subprocess
import sys
from pathlib import Path

from moto_forge.bucket.service import BucketService
from moto_forge.ipld.cid import RAW


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


def test_fsck_finds_exactly_the_damage_and_gc_collects(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    _, service = make_bucket(data)
    manifest, _ = service.head_object("photos", "p3.jpg")
    chunk = next(
        c for c in service.registry.blocks_in(service.registry.locate(manifest.body.root).blob) if c.codec == RAW
    )  # type: ignore[union-attr]
    loc = service.registry.locate(chunk)
    assert loc is not None
    service.close()

    assert run("fsck", "--data-dir", data).returncode == 0
    with open(os.path.join(data, "blobs", loc.blob[-2:], loc.blob), "r+b") as fh:
        fh.seek(loc.offset + 1)
        fh.write(b"\x00\x01\x02")
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
    result = run("snapshots", "nope", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == "moto-forge: The specified bucket does not exist"
