"""moto_forge vs moto_server, side by side, one boto3 workload against each.

Run with ``make bench`` (or ``python -m bench.s3``).  Both servers run on
loopback in this run; workloads alternate between them, each repeated
``REPEAT`` times; the table shows medians and the ratio moto_forge /
moto_server (for times, moto_server / moto_forge: above 1 means moto_forge
is better either way), plus each server's peak RSS.  Results also go to
``bench/results/s3.json``.  ``BENCH_QUICK=1`` shrinks every workload.

A third endpoint, the floor (``bench/floor.py``: in memory, only the hashes
moto_forge's formats require), takes the same workload in the same rotation.
Its figure over moto_server's, ``best_ratio``, is the most any server could
show against moto_server through this client on this machine in this run.

boto3 runs with checksums off (``when_required``), as the reference figures
in issue #7 were measured.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from bench.clients import s3_client

RESULTS = Path(__file__).parent / "results"
QUICK = os.environ.get("BENCH_QUICK") == "1"
REPEAT = 1 if QUICK else 5
SMALL_COUNT = 200 if QUICK else 1000
LARGE_MIB = 32 if QUICK else 256
HUGE_MIB = 64 if QUICK else 1024
LIST_STAGES = (1000, 3000, 6000) if QUICK else (1000, 20_000, 100_000)
"""A bucket grown to each size in turn: full listing, one page, PUT latency at each."""
LATENCY_PUTS = 30 if QUICK else 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        self.port = free_port()
        self.process = subprocess.Popen(
            [*command, str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{name} did not start") from None
                time.sleep(0.1)
        self.url = f"http://127.0.0.1:{self.port}"

    def client(self) -> Any:
        return s3_client(self.url, max_pool_connections=32)

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


FORGE_SERVE = [sys.executable, "-m", "moto_forge.cli", "serve", "--quiet", "--data-dir"]
MOTO_SERVE = [sys.executable, "-m", "moto.server", "-p"]
FLOOR_SERVE = [sys.executable, "-m", "bench.floor"]


WORKDIR = tempfile.mkdtemp(prefix="moto-forge-bench-", dir=os.environ.get("BENCH_TMP"))
"""Every data directory and input file of one run (removed at its end)."""


def start_servers() -> list[Server]:
    data_dir = tempfile.mkdtemp(prefix="forge-", dir=WORKDIR)
    return [
        Server("moto_forge", [*FORGE_SERVE, data_dir, "--port"]),
        Server("moto_server", MOTO_SERVE),
        Server("floor", FLOOR_SERVE),
    ]


def own_cpu_seconds() -> float:
    """User + system CPU of this (client) process, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def fill(s3: Any, bucket: str, count: int, prefix: str = "k", size: int = 64, workers: int = 8) -> None:
    body = os.urandom(size)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"{prefix}/{i:07d}", Body=body), range(count)))


def workloads(server: Server, run: int) -> dict[str, float]:
    s3 = server.client()
    out: dict[str, float] = {}
    bucket = f"bench-{run}"
    s3.create_bucket(Bucket=bucket)
    small = os.urandom(4096)
    keys = [f"small/{i:05d}" for i in range(SMALL_COUNT)]
    out["put_small_objs_s"] = SMALL_COUNT / timed(
        lambda: [s3.put_object(Bucket=bucket, Key=k, Body=small) for k in keys]
    )
    out["get_small_objs_s"] = SMALL_COUNT / timed(
        lambda: [s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys]
    )
    clients = [server.client() for _ in range(8)]

    def worker(n: int) -> None:
        for i in range(SMALL_COUNT // 8):
            clients[n].put_object(Bucket=bucket, Key=f"conc/{n}/{i}", Body=small)

    def concurrent() -> None:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    puts = SMALL_COUNT // 8 * 8
    server_cpu, client_cpu = server.cpu_seconds(), own_cpu_seconds()
    out["put_small_8_clients_objs_s"] = puts / timed(concurrent)
    out["put_small_8_clients_server_cpu_ms"] = 1000 * (server.cpu_seconds() - server_cpu) / puts
    out["put_small_8_clients_client_cpu_ms"] = 1000 * (own_cpu_seconds() - client_cpu) / puts
    large = os.urandom(LARGE_MIB << 20)
    client_cpu = own_cpu_seconds()
    out["put_large_mb_s"] = len(large) / 1e6 / timed(lambda: s3.put_object(Bucket=bucket, Key="large", Body=large))
    out["put_large_client_cpu_s"] = own_cpu_seconds() - client_cpu
    out["get_large_mb_s"] = len(large) / 1e6 / timed(lambda: s3.get_object(Bucket=bucket, Key="large")["Body"].read())
    return out


def listing(server: Server) -> dict[str, float]:
    """One bucket grown through ``LIST_STAGES``: at each size a full paginated listing,
    one 1 000-key page with a prefix (the same 1 000 keys at every size) and the
    median latency of single PUTs into it."""
    s3 = server.client()
    s3.create_bucket(Bucket="listing")
    fill(s3, "listing", 1000, prefix="p")
    out: dict[str, float] = {}
    have = 1000
    for stage in LIST_STAGES:
        fill(s3, "listing", stage - have, prefix=f"k{stage}")
        have = stage

        def full() -> None:
            for _ in s3.get_paginator("list_objects_v2").paginate(Bucket="listing"):
                pass

        runs = 1 if stage > 20_000 else REPEAT
        out[f"list_full_{stage}_s"] = statistics.median(timed(full) for _ in range(runs))
        out[f"list_page_prefix_{stage}_ms"] = 1000 * statistics.median(
            timed(lambda: s3.list_objects_v2(Bucket="listing", Prefix="p/", MaxKeys=1000)) for _ in range(5)
        )
        latencies = put_latencies(s3, f"lat{stage}")
        have += LATENCY_PUTS
        out[f"put_latency_{stage}_keys_ms"] = 1000 * statistics.median(latencies)
    return out


def put_latencies(s3: Any, prefix: str) -> list[float]:
    body = os.urandom(4096)
    out = []
    for i in range(LATENCY_PUTS):
        start = time.perf_counter()
        s3.put_object(Bucket="listing", Key=f"{prefix}/{i}", Body=body)
        out.append(time.perf_counter() - start)
    return out


def huge(name: str) -> dict[str, float]:
    """PUT and GET of one ``HUGE_MIB`` object (one request each) against a fresh server of
    ``name``, whose peak RSS is then this workload's alone."""
    (server,) = start_servers_named(name)
    try:
        s3 = server.client()
        s3.create_bucket(Bucket="huge")
        path = huge_file()
        put = timed(lambda: put_file(s3, path))
        got: list[int] = []
        get = timed(lambda: got.append(read_all(s3.get_object(Bucket="huge", Key="one")["Body"])))
        assert got == [HUGE_MIB << 20], got
        mb = (HUGE_MIB << 20) / 1e6
        return {"put_huge_mb_s": mb / put, "get_huge_mb_s": mb / get, "huge_peak_rss_mib": server.peak_rss_mib()}
    finally:
        server.stop()


def huge_file() -> str:
    """A file of ``HUGE_MIB`` random MiB (written once per run, in the run's work dir)."""
    path = os.path.join(WORKDIR, f"huge-{HUGE_MIB}.bin")
    if not os.path.exists(path) or os.path.getsize(path) != HUGE_MIB << 20:
        block = os.urandom(1 << 20)
        with open(path, "wb") as out:
            for i in range(HUGE_MIB):
                out.write(i.to_bytes(8, "big") + block[8:])
    return path


def start_servers_named(name: str) -> list[Server]:
    if name == "moto_forge":
        data_dir = tempfile.mkdtemp(prefix="forge-huge-", dir=WORKDIR)
        return [Server(name, [*FORGE_SERVE, data_dir, "--port"])]
    return [Server(name, MOTO_SERVE)]


def put_file(s3: Any, path: str) -> None:
    """One PutObject streaming the file (boto3's upload_file would split it into parts)."""
    with open(path, "rb") as body:
        s3.put_object(Bucket="huge", Key="one", Body=body)


def read_all(body: Any) -> int:
    """Read a streamed GetObject body to its end, 1 MiB at a time; return its size.  (Not
    download_fileobj: s3transfer 0.19 splits every download into ranged GETs, and with
    max_concurrency=1 it deadlocks scheduling them.)"""
    size = 0
    for chunk in iter(lambda: body.read(1 << 20), b""):
        size += len(chunk)
    return size


NOT_COMPARED = {"put_small_8_clients_client_cpu_ms", "put_large_client_cpu_s"}
"""Measures of the client (the same for both servers): shown for each, with no ratio."""

HIGHER_IS_BETTER = {
    "put_small_objs_s",
    "get_small_objs_s",
    "put_small_8_clients_objs_s",
    "put_large_mb_s",
    "get_large_mb_s",
    "put_huge_mb_s",
    "get_huge_mb_s",
}


PARTIAL = RESULTS / "s3.partial.json"


def main() -> None:
    servers = start_servers()
    samples: dict[str, dict[str, list[float]]] = {s.name: {} for s in servers}
    RESULTS.mkdir(exist_ok=True)

    def keep() -> None:  # a failure late in a long run must not lose what was measured
        PARTIAL.write_text(json.dumps(samples, indent=2) + "\n")

    try:
        for run in range(REPEAT):
            shift = run % len(servers)  # each server takes each place in the rotation
            for server in servers[shift:] + servers[:shift]:
                for name, value in workloads(server, run).items():
                    samples[server.name].setdefault(name, []).append(value)
                keep()
        for server in servers:
            for name, value in listing(server).items():
                samples[server.name][name] = [value]
            keep()
        rss = {s.name: s.peak_rss_mib() for s in servers}
    finally:
        for server in servers:
            server.stop()
    for name in ("moto_forge", "moto_server"):  # the floor would only hold 1 GiB in memory
        for measure, value in huge(name).items():
            samples[name][measure] = [value]
        keep()
    medians = {s: {k: statistics.median(v) for k, v in m.items()} for s, m in samples.items()}
    rows = [row(name, medians) for name in medians["moto_forge"]]
    # the floor holds every body in memory: its RSS is no bound for anyone
    rss_ratio = rss["moto_server"] / rss["moto_forge"]
    rows.append(Row("peak_rss_mib", rss["moto_forge"], rss["moto_server"], rss["floor"], rss_ratio, float("nan")))
    own = medians["moto_forge"]
    first, last = LIST_STAGES[0], LIST_STAGES[-1]
    scaling = {
        f"page_cost_{last}_vs_{first}": own[f"list_page_prefix_{last}_ms"] / own[f"list_page_prefix_{first}_ms"],
        f"put_latency_{last}_vs_{first}": own[f"put_latency_{last}_keys_ms"] / own[f"put_latency_{first}_keys_ms"],
    }
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"moto_forge vs moto_server ({machine}; {REPEAT} runs, medians; ratio > 1 = moto_forge better)")
    print("floor: bench/floor.py, in memory, only the hashes moto_forge's formats require;")
    print("best ratio: the floor against moto_server, the most any server could show in this run")
    print(f"{'measure':34s} {'moto_forge':>11s} {'moto_server':>11s} {'floor':>11s} {'ratio':>7s} {'best':>7s}")
    for r in rows:
        figures = f"{r.moto_forge:11.2f} {r.moto_server:11.2f} {r.floor:11.2f} {r.ratio:7.2f} {r.best_ratio:7.2f}"
        print(f"{r.measure:34s} {figures}")
    print("moto_forge against itself (lower is better):")
    for name, value in scaling.items():
        print(f"{name:34s} {value:11.2f}")
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "machine": machine,
        "quick": QUICK,
        "rows": [r._asdict() for r in rows],
        "scaling": scaling,
    }
    (RESULTS / "s3.json").write_text(json.dumps(payload, indent=2) + "\n")


class Row(NamedTuple):
    measure: str
    moto_forge: float
    moto_server: float
    floor: float
    ratio: float
    """moto_forge against moto_server; above 1 means moto_forge is better."""
    best_ratio: float
    """The floor against moto_server: the most any server could show."""


def row(measure: str, medians: dict[str, dict[str, float]]) -> Row:
    """One measure's medians, with both ratios oriented so that above 1 is better
    (rates: ours / theirs; times: theirs / ours).  No ratio for measures of the client,
    nor for the floor where it did not run."""
    ours, theirs = medians["moto_forge"][measure], medians["moto_server"][measure]
    floor = medians["floor"].get(measure, float("nan"))

    def better(a: float, b: float) -> float:
        if measure in NOT_COMPARED:
            return float("nan")
        return a / b if measure in HIGHER_IS_BETTER else b / a

    return Row(measure, ours, theirs, floor, better(ours, theirs), better(floor, theirs))


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
