"""Where a small PUT and a small GET spend their time: `moto-forge serve` (one worker, signatures
checked, durable writes) under py-spy while the Go load generator (``bench/s3load``) sends
one client's 4 KiB PUTs, then GETs of them.

Run with ``python -m bench.profile`` (``make bench-profile``).  Prints, per workload, the
share of the server's wall-clock samples (active threads) in the frames that matter, by
the function's own name, inclusive (a frame counts when it is anywhere on the stack).
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.peers import ACCESS, SECRET, Peer, Running, build_s3load

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
"""py-spy (a test dependency: in the virtualenv beside this Python)."""

COUNT = 3000
"""Operations per workload (about 10 s each here)."""

FRAMES = {
    "the S3 app (moto_forge/s3/app.py)": ["(moto_forge/s3/app.py"],
    "bucket service write (Writes.put_object)": ["put_object (moto_forge/bucket/writes.py"],
    "registry swap_roots (its SQL and COMMIT)": ["swap_roots (moto_forge/registry"],
    "SQLite COMMIT (the fsync wait)": ["commit (peewee.py", "commit (playhouse"],
    "blob store syncfs (large writes)": ["sync (moto_forge/blocks/blobstore.py"],
    "journal flusher (background syncfs + trim)": ["flush_journal (moto_forge/blocks/journal.py"],
    "PendingCar.finish (CAR + index placed)": ["finish (moto_forge/blocks/carfile.py"],
    "MST update": ["(moto_forge/mst/"],
    "SigV4 check": ["(moto_forge/s3/sigv4.py"],
    "tenancy check": ["(moto_forge/s3/tenancy.py"],
    "moto's request parsing / response rendering": ["(moto/s3/responses.py", "(moto/core/responses.py"],
    "block reads (get_many, read_located)": ["get_many (moto_forge/blocks", "read_located (moto_forge/blocks"],
    "registry reads (get_bucket, locate)": ["get_bucket (moto_forge/registry", "locate (moto_forge/registry"],
    "werkzeug (HTTP parsing, socket writes)": ["(werkzeug/"],
}
"""Frame groups, by a piece of py-spy's ``function (file`` text; a sample counts for every group on its stack."""

TOP_SELF = 8
"""Leaf frames (where the sample was taken) listed per workload."""


def profile(python: str, s3load: Path, workdir: str, workload: str) -> tuple[collections.Counter[str], int]:
    """Samples per frame group over one workload, and the number of samples."""
    forge = Peer("moto_forge", lambda port, data: [
        python, "-m", "moto_forge.cli", "serve", "--quiet", "--no-console", "--workers", "1", "--port", str(port),
        "--data-dir", data, "--access-key", ACCESS, "--secret-key", SECRET])  # fmt: skip
    server = Running(forge, workdir)
    raw = os.path.join(workdir, f"{workload}.txt")
    try:
        common = [str(s3load), "-endpoint", server.url, "-access", ACCESS, "-secret", SECRET, "-bucket", "prof"]
        if workload == "get":
            subprocess.run([*common, "-workload", "put", "-count", str(COUNT), "-size", "4096"], check=True,
                           capture_output=True, timeout=600)  # fmt: skip
        spy = subprocess.Popen([PY_SPY, "record", "--pid", str(server.process.pid), "--format", "raw", "--output",
                                raw, "--rate", "200", "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(1.0)
        ops = ["-count", str(COUNT)] if workload == "put" else ["-count", str(3 * COUNT), "-keys", str(COUNT)]
        subprocess.run([*common, "-workload", workload, *ops, "-size", "4096"], check=True, capture_output=True,
                       timeout=600)  # fmt: skip
        spy.send_signal(2)
        spy.wait(timeout=60)
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)
    counts: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in Path(raw).read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        n = int(number)
        total += n
        leaf = stack.split(";")[-1]
        leaves[leaf.split(":")[0] + ")" if ":" in leaf else leaf] += n
        for label, needles in FRAMES.items():
            if any(needle in stack for needle in needles):
                counts[label] += n
    counts.update({f"leaf: {name}": n for name, n in leaves.most_common(TOP_SELF)})
    return counts, total


def main() -> None:
    python = sys.executable
    s3load = build_s3load()
    with tempfile.TemporaryDirectory(prefix="moto-forge-profile-") as workdir:
        for workload in ("put", "get"):
            counts, total = profile(python, s3load, workdir, workload)
            print(f"{workload.upper()} 4 KiB, one client: {total} active samples")
            for label, n in counts.most_common():
                print(f"  {100 * n / max(total, 1):5.1f}%  {label}")


if __name__ == "__main__":
    main()
