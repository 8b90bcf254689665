"""moto_forge against the servers a user would pick instead, measured from outside.

Run with ``make bench`` (or ``python -m bench.peers``).  A Go load generator
(``bench/s3load``: aws-sdk-go-v2, SigV4, path style, many goroutines; every response
checked) drives each server in turn: moto_forge (``moto-forge serve``, signatures
checked), the same application on granian (``moto_forge@granian``: the server-stack
candidate), moto_server, versitygw and MinIO, the last two built from the Go module proxy
at the pinned versions below into ``~/.cache/moto-forge/peers`` (once; a cold MinIO
build takes several minutes on 2 cores).  Every repetition starts each server fresh on
a fresh data dir and the order of servers rotates between repetitions.  The table shows
medians over ``REPEAT`` repetitions and moto_forge's ratio to each peer (above 1:
moto_forge is better, for rates and for costs alike).  A figure with errors is marked
``ERR`` and counts as nothing.  Results go to ``bench/results/peers.json``.

``BENCH_QUICK=1`` shrinks every workload and runs once; ``BENCH_PEERS=moto_forge,minio``
picks the servers.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CACHE = Path(os.environ.get("MOTO_FORGE_PEER_CACHE", Path.home() / ".cache" / "moto-forge" / "peers"))
QUICK = os.environ.get("BENCH_QUICK") == "1"
REPEAT = 1 if QUICK else 3
ACCESS, SECRET = "benchaccesskey", "benchsecretkey-0123456789"

GRANIAN = "moto_forge@granian"
"""moto_forge's application on granian instead of ``serve``'s handler (``bench/granian_app.py``):
the server-stack candidate, measured in the same run."""
VERSITYGW = ("github.com/versity/versitygw/cmd/versitygw", "v1.8.0")
MINIO = ("github.com/minio/minio", "v0.0.0-20260212201848-7aac2a2c5b7c")
"""MinIO's last source on the module proxy (its commit of 2026-02-12; MinIO tags no semver)."""

SETTLE_SECONDS = 0.5
SETTLE_CPU = 0.05
"""A started server has settled once it used less than this much CPU (s) in SETTLE_SECONDS."""
SETTLE_LIMIT = 30.0
"""The longest wait for a server to settle (one that never does is measured after it)."""

SMALL = 4096
PUT_1, PUT_8, GET_1, GET_8 = (200, 400, 200, 800) if QUICK else (1000, 3000, 1000, 4000)
BIG_MIB, BIG_COUNT = (16, 4) if QUICK else (64, 4)
LIST_KEYS = 2000 if QUICK else 20_000
MIXED_SECONDS = 5 if QUICK else 20

DURABILITY = {
    "moto_forge": "a write is acknowledged once it is durable: a small one (<= 256 KiB) rides in the registry "
    "commit (SQLite synchronous=FULL: one fsync; its files are made and synced in the background), a larger "
    "one's CAR is synced (syncfs) before that commit",
    GRANIAN: "as moto_forge (the same application and store; only the HTTP server differs)",
    "moto_server": "in memory: nothing is written to disk",
    "versitygw": "posix backend defaults: data written to a temporary file and renamed into place; see the "
    "fsync count below",
    "minio": "single-drive (xl-single) defaults; see the fsync count below",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- building the peers and the load generator ------------------------------------------


def go_env(bin_dir: Path) -> dict[str, str]:
    return {**os.environ, "GOBIN": str(bin_dir), "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}


def build_go_tool(name: str, module: str, version: str) -> Path:
    """``module@version`` built once into the cache; its binary."""
    bin_dir = CACHE / f"{name}-{version}"
    binary = bin_dir / name
    if binary.exists():
        return binary
    bin_dir.mkdir(parents=True, exist_ok=True)
    print(f"bench: building {name} {version} from the Go module proxy into {bin_dir} (once)", file=sys.stderr)
    built = subprocess.run(["go", "install", f"{module}@{version}"], env=go_env(bin_dir), capture_output=True,
                           text=True, timeout=3600)  # fmt: skip
    if built.returncode != 0:
        raise SystemExit(f"bench: cannot build {module}@{version}:\n{built.stderr[-3000:]}")
    installed = bin_dir / module.rsplit("/", 1)[-1]
    if installed != binary:
        installed.rename(binary)
    return binary


def build_s3load() -> Path:
    """The load generator, rebuilt when its source changed."""
    source = HERE / "s3load"
    binary = CACHE / "s3load" / "s3load"
    newest = max(p.stat().st_mtime for p in source.iterdir())
    if not binary.exists() or binary.stat().st_mtime < newest:
        binary.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-o", str(binary), "."], cwd=source, check=True, timeout=1200,
                       env={**os.environ, "CGO_ENABLED": "0"})  # fmt: skip
    return binary


# ---- servers ------------------------------------------------------------------------------


@dataclass
class Peer:
    name: str
    command: Callable[[int, str], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    access: str = ACCESS
    secret: str = SECRET
    ready_path: str = ""


def peers(venv_python: str) -> list[Peer]:
    forge = Peer("moto_forge", lambda port, data: [
        venv_python, "-m", "moto_forge.cli", "serve", "--quiet", "--no-console", "--port", str(port),
        "--data-dir", data, "--access-key", ACCESS, "--secret-key", SECRET])  # fmt: skip
    moto = Peer("moto_server", lambda port, data: [venv_python, "-m", "moto.server", "-p", str(port)],
                access="testing", secret="testing")  # fmt: skip
    granian = Peer(GRANIAN, lambda port, data: [
        "env", f"MOTO_FORGE_BENCH_DATA={data}", venv_python, "-m", "granian", "--interface", "wsgi",
        "--workers", str(os.cpu_count() or 1), "--blocking-threads", "8", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "bench.granian_app:app"])  # fmt: skip
    out = [forge, granian, moto]
    wanted = set(filter(None, os.environ.get("BENCH_PEERS", "").split(","))) or {
        "moto_forge", GRANIAN, "moto_server", "versitygw", "minio"}  # fmt: skip
    if "versitygw" in wanted:
        gw = str(build_go_tool("versitygw", *VERSITYGW))
        out.append(Peer("versitygw", lambda port, data: [
            gw, "--access", ACCESS, "--secret", SECRET, "--port", f"127.0.0.1:{port}", "posix", data]))  # fmt: skip
    if "minio" in wanted:
        minio = str(build_go_tool("minio", *MINIO))
        out.append(Peer("minio", lambda port, data: [minio, "server", "--quiet", "--address", f"127.0.0.1:{port}",
                                                     "--console-address", f"127.0.0.1:{free_port()}", data],
                        env={"MINIO_ROOT_USER": ACCESS, "MINIO_ROOT_PASSWORD": SECRET,
                             "MINIO_BROWSER": "off", "MINIO_UPDATE": "off"},
                        ready_path="/minio/health/live"))  # fmt: skip
    return [p for p in out if p.name in wanted]


class Running:
    """One peer started fresh on its own data dir."""

    def __init__(self, peer: Peer, workdir: str) -> None:
        self.peer = peer
        self.data = tempfile.mkdtemp(prefix=f"{peer.name}-", dir=workdir)
        self.port = free_port()
        self.log = open(os.path.join(workdir, f"{peer.name}-{self.port}.log"), "wb")  # noqa: SIM115
        self.process = subprocess.Popen(peer.command(self.port, self.data), stdout=self.log, stderr=self.log,
                                        env={**os.environ, **peer.env}, start_new_session=True)  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if not peer.ready_path or _http_ok(self.url + peer.ready_path):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{peer.name} did not start (see {self.log.name})")
            time.sleep(0.2)
        self._settle(time.monotonic() + SETTLE_LIMIT)

    def _settle(self, deadline: float) -> None:
        """Wait until the server's processes use no CPU for :data:`SETTLE_SECONDS` (start-up
        work done: a worker importing its code after the port is open, a store's first scan),
        so that none of it is counted as the first workload's; at most until ``deadline``."""
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(SETTLE_SECONDS)
            now = self.cpu_seconds()
            if now - before < SETTLE_CPU:
                return
            before = now

    def pids(self) -> list[int]:
        """The server process and every process under it."""
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    children = task.read_text().split()
                except OSError:  # the thread (or process) ended since it was listed
                    continue
                queue.extend(int(child) for child in children)
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def peak_rss_mib(self) -> float:
        total = 0.0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
            except FileNotFoundError:
                continue
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


# ---- workloads ------------------------------------------------------------------------------


def load(s3load: Path, server: Running, workload: str, bucket: str, **options: Any) -> dict[str, Any]:
    """One s3load run; its JSON result (``errors`` > 0 marks the figure)."""
    args = [str(s3load), "-endpoint", server.url, "-access", server.peer.access, "-secret", server.peer.secret,
            "-workload", workload, "-bucket", bucket]  # fmt: skip
    for name, value in options.items():
        args += [f"-{name}", str(value)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = {"errors": 1, "first_error": (done.stderr or done.stdout)[-500:]}
    return result


def one_server(s3load: Path, server: Running) -> dict[str, Any]:
    """Every workload against one fresh server; figures by name (``None``: it had errors)."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def take(name: str, result: dict[str, Any], key: str) -> dict[str, Any]:
        if result.get("errors"):
            errors[name] = str(result.get("first_error", "?"))
            out[name] = None
        else:
            out[name] = result[key]
        return result

    cpu = server.cpu_seconds()
    put1 = take("put_4k_1", load(s3load, server, "put", "small", clients=1, count=PUT_1, size=SMALL, prefix="one"),
                "ops_per_s")  # fmt: skip
    if not put1.get("errors"):
        out["cpu_ms_per_put"] = 1000 * (server.cpu_seconds() - cpu) / max(1, put1["ops"])
        out["put_p50_ms"], out["put_p99_ms"] = put1["p50_ms"], put1["p99_ms"]
    take("put_4k_8", load(s3load, server, "put", "small", clients=8, count=PUT_8, size=SMALL, prefix="eight"),
         "ops_per_s")  # fmt: skip
    get1 = take("get_4k_1", load(s3load, server, "get", "small", clients=1, count=GET_1, keys=PUT_1, size=SMALL,
                     prefix="one"),
                "ops_per_s")  # fmt: skip
    if not get1.get("errors"):
        out["get_p50_ms"], out["get_p99_ms"] = get1["p50_ms"], get1["p99_ms"]
    take("get_4k_8", load(s3load, server, "get", "small", clients=8, count=GET_8, keys=PUT_8, size=SMALL,
              prefix="eight"),
         "ops_per_s")  # fmt: skip
    big = BIG_MIB << 20
    take("put_64m_x4", load(s3load, server, "put", "big", clients=BIG_COUNT, count=BIG_COUNT, size=big, prefix="b"),
         "mb_per_s")  # fmt: skip
    take("get_64m_x4", load(s3load, server, "get", "big", clients=BIG_COUNT, count=BIG_COUNT, size=big, prefix="b"),
         "mb_per_s")  # fmt: skip
    seeded = load(s3load, server, "seed", "listing", clients=8, count=LIST_KEYS, size=64, prefix="l")
    if seeded.get("errors"):
        errors["list_20k"] = str(seeded.get("first_error"))
        out["list_20k"] = None
    else:
        rates = [load(s3load, server, "list", "listing", count=LIST_KEYS, prefix="l") for _ in range(3)]
        bad = [r for r in rates if r.get("errors")]
        if bad:
            errors["list_20k"] = str(bad[0].get("first_error"))
            out["list_20k"] = None
        else:
            out["list_20k"] = statistics.median(r["ops_per_s"] for r in rates)
    mixed = take("mixed_8", load(s3load, server, "mixed", "mixed", clients=8, count=200,
                                 duration=f"{MIXED_SECONDS}s", prefix="m"), "ops_per_s")  # fmt: skip
    out["mixed_kinds"] = mixed.get("mix")  # the operations by kind: the results file shows the mix held
    out["peak_rss_mib"] = server.peak_rss_mib()
    if errors:
        out["errors"] = errors
    return out


ROWS = [
    ("put_4k_1", "PUT 4 KiB, 1 client (obj/s)", True),
    ("put_4k_8", "PUT 4 KiB, 8 clients (obj/s)", True),
    ("get_4k_1", "GET 4 KiB, 1 client (obj/s)", True),
    ("get_4k_8", "GET 4 KiB, 8 clients (obj/s)", True),
    ("put_64m_x4", "PUT 64 MiB x 4 concurrent (MB/s)", True),
    ("get_64m_x4", "GET 64 MiB x 4 concurrent (MB/s)", True),
    ("list_20k", "full listing, 20 000 keys (pages/s)", True),
    ("mixed_8", "mixed 60/30/10, 8 clients (ops/s)", True),
    ("put_p50_ms", "PUT 4 KiB latency p50 (ms, lower is better)", False),
    ("put_p99_ms", "PUT 4 KiB latency p99 (ms, lower is better)", False),
    ("get_p50_ms", "GET 4 KiB latency p50 (ms, lower is better)", False),
    ("get_p99_ms", "GET 4 KiB latency p99 (ms, lower is better)", False),
    ("cpu_ms_per_put", "server CPU per small PUT (ms, lower is better)", False),
    ("peak_rss_mib", "peak RSS (MiB, lower is better)", False),
]


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run.get(key) for run in runs]
    if any(v is None for v in values) or not values:
        return None
    return float(statistics.median(values))  # type: ignore[arg-type]


def ratio(forge: float | None, other: float | None, higher_better: bool) -> str:
    if forge is None or other is None or forge == 0 or other == 0:
        return "–"
    return f"{forge / other if higher_better else other / forge:.2f}"


SYNC_CALLS = frozenset({"fsync", "fdatasync", "syncfs", "sync_file_range", "msync"})


def sync_calls(summary: str) -> int:
    """The fsync-family calls an ``strace -c`` summary counts (its columns: % time, seconds,
    usecs/call, calls, errors (blank when none failed), syscall)."""
    calls = 0
    for line in summary.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[-1] in SYNC_CALLS:
            calls += int(parts[3])
    return calls


def fsyncs_per_put(peer: Peer, s3load: Path, workdir: str) -> str:
    """How many fsync-family calls the server makes for one small PUT (strace, 50 PUTs)."""
    if shutil.which("strace") is None:
        return "?"
    server = Running(peer, workdir)
    try:
        load(s3load, server, "put", "warm", clients=1, count=5, size=SMALL, prefix="w")
        trace = os.path.join(workdir, f"{peer.name}.strace")
        tracer = subprocess.Popen(["strace", "-f", "-c", "-o", trace, "-e",
                                   "trace=fsync,fdatasync,syncfs,sync_file_range,msync", "-p",
                                   ",".join(str(p) for p in server.pids())],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(1)
        load(s3load, server, "put", "traced", clients=1, count=50, size=SMALL, prefix="t")
        tracer.terminate()
        tracer.wait(timeout=30)
        return f"{sync_calls(Path(trace).read_text()) / 50:.1f}"
    except (OSError, subprocess.SubprocessError, ValueError):
        return "?"
    finally:
        server.stop()


def _granian_version() -> str:
    try:
        from importlib.metadata import version

        return version("granian")
    except Exception:  # not installed: the peer was not chosen, or did not start
        return "?"


def main() -> None:
    venv_python = sys.executable
    s3load = build_s3load()
    chosen = peers(venv_python)
    workdir = tempfile.mkdtemp(prefix="moto-forge-peers-", dir=os.environ.get("BENCH_TMP"))
    runs: dict[str, list[dict[str, Any]]] = {p.name: [] for p in chosen}
    try:
        for rep in range(REPEAT):
            order = chosen[rep % len(chosen) :] + chosen[: rep % len(chosen)]
            for peer in order:
                print(f"bench: repetition {rep + 1}/{REPEAT}: {peer.name}", file=sys.stderr, flush=True)
                server = Running(peer, workdir)
                try:
                    runs[peer.name].append(one_server(s3load, server))
                finally:
                    server.stop()
        syncs = {p.name: fsyncs_per_put(p, s3load, workdir) for p in chosen}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    medians = {name: {key: median_of(r, key) for key, _, _ in ROWS} for name, r in runs.items()}
    names = [p.name for p in chosen]
    others = [n for n in names if n != "moto_forge"]
    header = "| workload | " + " | ".join(names) + " | " + " | ".join(f"moto_forge / {n}" for n in others) + " |"
    lines = [header, "|" + "---|" * (1 + len(names) + len(others))]
    for key, label, higher in ROWS:
        cells = []
        for name in names:
            value = medians[name][key]
            cells.append("ERR" if value is None else f"{value:,.1f}" if value < 100 else f"{value:,.0f}")
        ratios = [ratio(medians["moto_forge"][key], medians[n][key], higher) for n in others]
        lines.append(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    lines.append("| fsync-family calls per small PUT | " + " | ".join(syncs[n] for n in names) + " |"
                 + " |" * len(others))  # fmt: skip
    table = "\n".join(lines)
    print(table)
    for name in names:
        errors = [r["errors"] for r in runs[name] if "errors" in r]
        if errors:
            print(f"{name}: errors: {errors[0]}")
    RESULTS.mkdir(exist_ok=True)
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {"versitygw": VERSITYGW[1], "minio": MINIO[1], "granian": _granian_version()},
        "repeat": REPEAT, "quick": QUICK, "durability": DURABILITY, "fsyncs_per_put": syncs,
        "medians": medians, "runs": runs, "table": table,
    }  # fmt: skip
    (RESULTS / ("peers.quick.json" if QUICK else "peers.json")).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
