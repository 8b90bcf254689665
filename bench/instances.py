"""Several instances as one: aggregate throughput of 1, 2 and 3 `moto-forge serve --forge`
processes on one PostgreSQL registry (a real server started here), each with its own data
dir (a cache of Forge), against the npm upload-api peer (tests/forge/peer), and one
instance with ``--forge-no-cache`` (every read from Forge) against the cached one.

Each instance gets its own Go load generator (``bench/s3load``, 8 clients): small PUTs
(every one stored in Forge before it is acknowledged: sync mode), then small GETs of what
it wrote. Aggregate = operations of all instances / the slowest one's wall time.

Run with ``python -m bench.instances`` (part of ``make bench``); writes
``bench/results/instances.json``. ``BENCH_QUICK=1`` shrinks it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.peers import ACCESS, SECRET, Peer, Running, build_s3load
from bench.report import report
from moto_forge.forge.identity import Identity
from tests.support.forge_peers import PEER, UploadPeer
from tests.support.postgres import create_database, running_postgres

QUICK = os.environ.get("BENCH_QUICK") == "1"
PUTS, GETS = (40, 400) if QUICK else (150, 3000)
"""Per instance (PUTs are slow: each goes to the npm peer and back several times)."""
CLIENTS = 8


def instance(python: str, registry: str, peer: UploadPeer, identity_dir: str, workdir: str, *extra: str) -> Running:
    """One ``serve --forge`` on ``registry`` with a fresh data dir holding ``identity_dir``."""

    def command(port: int, data: str) -> list[str]:
        shutil.copytree(identity_dir, os.path.join(data, "identity"), dirs_exist_ok=True)
        return [python, "-m", "moto_forge.cli", "serve", "--quiet", "--no-console", "--workers", "1",
                "--port", str(port), "--data-dir", data, "--registry", registry, "--access-key", ACCESS,
                "--secret-key", SECRET, "--forge", peer.url, "--forge-did", peer.did, "--forge-key", peer.key,
                "--forge-claims", peer.claims_url, *extra]  # fmt: skip

    return Running(Peer("moto_forge", command), workdir)


def load(s3load: Path, url: str, workload: str, prefix: str, count: int) -> dict[str, Any]:
    args = [str(s3load), "-endpoint", url, "-access", ACCESS, "-secret", SECRET, "-bucket", "shared",
            "-workload", workload, "-clients", str(CLIENTS), "-count", str(count), "-size", "4096",
            "-prefix", prefix, "-keys", str(PUTS)]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result.get("errors"):
        raise SystemExit(f"bench: {workload} against {url} had errors: {result.get('first_error')}")
    return result


def aggregate(s3load: Path, urls: list[str], workload: str, count: int) -> float:
    """Operations per second of all instances together, each driven by its own generator."""
    start = time.perf_counter()
    with ThreadPoolExecutor(len(urls)) as pool:
        list(pool.map(lambda n: load(s3load, urls[n], workload, f"i{n}", count), range(len(urls))))
    return len(urls) * count / (time.perf_counter() - start)


def main() -> None:
    python = sys.executable
    s3load = build_s3load()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="moto-forge-instances-") as workdir, running_postgres() as admin:
        identity_home = os.path.join(workdir, "identity-home")
        identity = Identity.load_or_create(identity_home)
        peer = UploadPeer(PEER, identity.space.encode(), identity.agent.encode())
        try:
            identity_dir = os.path.join(identity_home, "identity")
            for count in (1, 2, 3):
                registry = create_database(admin, f"bench_{uuid.uuid4().hex[:10]}")
                servers = [instance(python, registry, peer, identity_dir, workdir) for _ in range(count)]
                try:
                    urls = [s.url for s in servers]
                    load(s3load, urls[0], "put", "warm", 1)  # the bucket, made once
                    results[f"put_4k_{count}_instances_ops_s"] = aggregate(s3load, urls, "put", PUTS)
                    results[f"get_4k_{count}_instances_ops_s"] = aggregate(s3load, urls, "get", GETS)
                finally:
                    for server in servers:
                        server.process.terminate()
                        server.process.wait(timeout=30)
            registry = create_database(admin, f"bench_{uuid.uuid4().hex[:10]}")
            cached = instance(python, registry, peer, identity_dir, workdir)
            uncached = instance(python, registry, peer, identity_dir, workdir, "--forge-no-cache")
            try:
                results["put_4k_uncached_ops_s"] = aggregate(s3load, [uncached.url], "put", PUTS)
                load(s3load, cached.url, "put", "i0", PUTS)  # the same keys, for the cached one to read
                results["get_4k_cached_ops_s"] = aggregate(s3load, [cached.url], "get", GETS)
                results["get_4k_uncached_ops_s"] = aggregate(s3load, [uncached.url], "get", GETS)
            finally:
                for server in (cached, uncached):
                    server.process.terminate()
                    server.process.wait(timeout=30)
        finally:
            peer.stop()
    report("instances", "moto_forge instances on one PostgreSQL registry, npm Forge peer (aggregate ops/s)", results)


if __name__ == "__main__":
    main()
