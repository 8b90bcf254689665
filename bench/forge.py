"""moto_forge over Forge: the HTTP requests moto_forge itself makes per S3 operation.

``serve --forge`` (sync mode) runs in this process against the npm upload-api
peer (tests/forge/peer); every request moto_forge sends through ``requests``
(ucanto invocations, blob PUTs, claim queries, blob fetches) is counted.
Warm: the local blob store holds everything.  Cold: the server restarted with
its blob directory deleted, so every block comes back from Forge (claims
query + fetch of the CAR that holds it); measured in buckets of two sizes.

Run with ``make bench`` (or ``python -m bench.forge``); writes
``bench/results/forge.json``.  ``BENCH_QUICK=1`` shrinks it.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests

from bench.clients import s3_client
from bench.report import report
from moto_forge.forge.identity import Identity
from moto_forge.server import ServerConfig, ServerThread
from tests.support.forge_peers import PEER, UploadPeer

QUICK = os.environ.get("BENCH_QUICK") == "1"
SMALL_OPS = 10 if QUICK else 30
LARGE_MIB = 2
"""The npm peer's mock storage nodes destroy the socket right after ``end()``, so bodies of
several MiB arrive truncated (and are refused as unverifiable); 2 MiB (two chunks) comes
through."""
SIZES = (100, 500) if QUICK else (100, 2000)
"""Bucket sizes (keys) for the cold-read measure."""


class Counter:
    """Counts every HTTP request made through ``requests`` in this process."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        self._send = requests.Session.send

    def __enter__(self) -> Counter:
        counter = self

        def send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            with counter._lock:
                counter.count += 1
            return counter._send(session, request, **kwargs)

        requests.Session.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        requests.Session.send = self._send  # type: ignore[method-assign]

    def per_op(self, op: Callable[[], object], times: int) -> tuple[float, float]:
        """(requests per call, milliseconds per call) over ``times`` calls."""
        before, start = self.count, time.perf_counter()
        for _ in range(times):
            op()
        return (self.count - before) / times, 1000 * (time.perf_counter() - start) / times


@contextmanager
def serving(data_dir: str, peer: UploadPeer) -> Iterator[Any]:
    config = ServerConfig(port=0, data_dir=data_dir, quiet=True, forge_url=peer.url, forge_did=peer.did,
                          forge_key=peer.key, forge_claims=peer.claims_url, write_mode="sync")  # fmt: skip
    server = ServerThread(config).start()
    try:
        yield s3_client(server.url)
    finally:
        server.stop()


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="bench-forge-peer-", dir=os.environ.get("BENCH_TMP"))
    identity = Identity.load_or_create(data_dir)
    peer = UploadPeer(PEER, identity.space.encode(), identity.agent.encode())
    out: dict[str, float] = {}
    small, large = os.urandom(4096), os.urandom(LARGE_MIB << 20)
    try:
        with Counter() as counter:
            with serving(data_dir, peer) as s3:
                s3.create_bucket(Bucket="forge")
                i = iter(range(10**9))
                out["put_small_requests"], out["put_small_ms"] = counter.per_op(
                    lambda: s3.put_object(Bucket="forge", Key=f"s/{next(i)}", Body=small), SMALL_OPS
                )
                out["get_small_warm_requests"], out["get_small_warm_ms"] = counter.per_op(
                    lambda: s3.get_object(Bucket="forge", Key="s/0")["Body"].read(), SMALL_OPS
                )
                out["put_large_requests"], out["put_large_ms"] = counter.per_op(
                    lambda: s3.put_object(Bucket="forge", Key="large", Body=large), 1
                )
                out["get_large_warm_requests"], out["get_large_warm_ms"] = counter.per_op(
                    lambda: s3.get_object(Bucket="forge", Key="large")["Body"].read(), 1
                )
            out["get_large_cold_requests"] = cold_get(data_dir, peer, counter, "large")
            have = SMALL_OPS
            for size in SIZES:
                with serving(data_dir, peer) as s3:
                    for n in range(have, size):
                        s3.put_object(Bucket="forge", Key=f"s/{n}", Body=small)
                have = size
                out[f"get_small_cold_{size}_keys_requests"] = cold_get(data_dir, peer, counter, "s/7")
    finally:
        peer.stop()
    report("forge", "moto_forge over the npm upload-api peer: HTTP requests per S3 operation", out)


def cold_get(data_dir: str, peer: UploadPeer, counter: Counter, key: str) -> float:
    """Requests for one GET of ``key`` by a server restarted with an empty blob store."""
    samples = []
    for _ in range(3):
        shutil.rmtree(os.path.join(data_dir, "blobs"))
        with serving(data_dir, peer) as s3:
            before = counter.count
            s3.get_object(Bucket="forge", Key=key)["Body"].read()
            samples.append(counter.count - before)
    return float(statistics.median(samples))


if __name__ == "__main__":
    main()
