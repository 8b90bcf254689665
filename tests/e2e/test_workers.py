"""``serve --workers N``: several processes on one port and one data dir
(moto_forge/workers.py): writes from all of them read back from all of them, the console's
sessions hold across workers, a dead worker is replaced, a killed server leaves no worker
behind, and a server that serves moto's other services refuses more than one worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from tests.e2e.conftest import Served, start_server

pytestmark = pytest.mark.no_forge

KEY, SECRET = "AKIAWORKERS000000001", "workers-secret-0123456789"


def workers_of(server: Served) -> list[int]:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def s3(server: Served) -> object:
    return boto3.client(
        "s3", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=KEY, aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}, max_pool_connections=16),
    )  # fmt: skip


def wait_for(check: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_workers_share_one_port_and_one_store(tmp_path: Path) -> None:
    server = start_server(str(tmp_path), "--access-key", KEY, "--secret-key", SECRET, "--workers", "3")
    try:
        wait_for(lambda: len(workers_of(server)) == 3)
        client = s3(server)
        client.create_bucket(Bucket="shared")  # type: ignore[attr-defined]

        def put_then_get(n: int) -> bytes:
            body = os.urandom(100) + n.to_bytes(4, "big")
            fresh = s3(server)  # a new connection: the kernel hands it to any worker
            fresh.put_object(Bucket="shared", Key=f"k{n}", Body=body)  # type: ignore[attr-defined]
            assert s3(server).get_object(Bucket="shared", Key=f"k{n}")["Body"].read() == body  # type: ignore[attr-defined]
            return body

        with ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(put_then_get, range(120)))
        listed = client.list_objects_v2(Bucket="shared", MaxKeys=1000)["Contents"]  # type: ignore[attr-defined]
        assert len(listed) == 120
        for n in (0, 59, 119):
            assert client.get_object(Bucket="shared", Key=f"k{n}")["Body"].read() == bodies[n]  # type: ignore[attr-defined]

        session = requests.Session()  # the console's session holds on every worker
        login = session.post(f"{server.url}/-/console/login", data={"access_key": KEY, "secret_key": SECRET})
        assert login.status_code == 200 and 'id="buckets"' in login.text
        for _ in range(12):
            page = requests.get(f"{server.url}/-/console/b/shared", cookies=session.cookies, allow_redirects=False)
            assert page.status_code == 200 and "k0" in page.text

        first = workers_of(server)
        os.kill(first[0], signal.SIGKILL)  # a worker dies: the supervisor starts another
        wait_for(lambda: len(workers_of(server)) == 3 and first[0] not in workers_of(server))
        assert client.head_object(Bucket="shared", Key="k7")["ContentLength"] == 104  # type: ignore[attr-defined]
    finally:
        children = workers_of(server) if server.process.poll() is None else []
        server.process.kill()  # SIGKILL: the workers must not outlive it
        server.process.wait(timeout=30)
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children))


def test_the_supervisor_is_a_fresh_interpreter_that_holds_no_secret(tmp_path: Path) -> None:
    """``serve --workers`` becomes moto_forge/supervisor.py by exec: the server's modules are
    imported by the workers only, and the configuration (secret keys) came through a file
    descriptor, not the command line or the environment."""
    server = start_server(str(tmp_path), "--access-key", KEY, "--secret-key", SECRET, "--workers", "2")
    try:
        wait_for(lambda: len(workers_of(server)) == 2)
        client = s3(server)
        client.create_bucket(Bucket="slim")  # type: ignore[attr-defined]
        assert client.list_buckets()["Buckets"][0]["Name"] == "slim"  # type: ignore[attr-defined]
        pid = server.process.pid
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"from moto_forge.supervisor import main" in b" ".join(cmdline)
        assert SECRET.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        assert SECRET.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert "awscrt" not in maps  # a native module of the server (the workers load it)
        for worker in workers_of(server):
            assert "awscrt" in Path(f"/proc/{worker}/maps").read_text()
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)


def test_more_workers_than_one_need_signature_checks(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-m", "moto_forge.cli", "serve", "--workers", "2", "--data-dir",
                              str(tmp_path)], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "moto-forge: --workers 2 needs signatures checked (--access-key/--secret-key or tenants): without them this "
        "server also serves moto's other services, whose state lives in one process"
    )


def test_auto_is_one_worker_per_core_with_signatures_checked(tmp_path: Path) -> None:
    cores = os.cpu_count() or 1
    server = start_server(str(tmp_path), "--access-key", KEY, "--secret-key", SECRET)
    try:
        if cores > 1:
            wait_for(lambda: len(workers_of(server)) == cores)
        log = Path(tmp_path, f"server-{server.port}.log")
        wait_for(lambda: "moto-forge serving S3" in log.read_text())
        assert (f"; {cores} workers)" in log.read_text()) == (cores > 1)
    finally:
        server.stop()
    (tmp_path / "plain").mkdir()
    plain = start_server(str(tmp_path / "plain"))
    try:
        assert workers_of(plain) == []  # moto's services on: one process
    finally:
        plain.stop()


def test_keep_alive_connections_spread_evenly_over_the_workers(tmp_path: Path) -> None:
    """Eight keep-alive connections opened one after another land about evenly on two
    workers (the busier worker lets the other accept first: moto_forge/workers.py): at most
    five on one.  Without the handoff the first worker to wake took six of eight; with it,
    a run on a loaded machine once gave five and three (the idle worker woke late)."""
    server = start_server(str(tmp_path), "--access-key", KEY, "--secret-key", SECRET, "--workers", "2")
    sessions = []
    try:
        wait_for(lambda: len(workers_of(server)) == 2)
        wait_for(lambda: settled(workers_of(server)))  # both serve (each imports the server after its fork)
        port = int(server.url.rsplit(":", 1)[1])
        for _ in range(8):
            session = requests.Session()
            assert session.get(f"{server.url}/-/health", timeout=30).status_code == 200
            sessions.append(session)
            time.sleep(0.05)
        held = {pid: connections_held(pid, port) for pid in workers_of(server)}
        assert sum(held.values()) == 8 and max(held.values()) <= 5, held
    finally:
        for session in sessions:
            session.close()
        server.stop()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def settled(pids: list[int]) -> bool:
    """Whether the processes ``pids`` used no CPU over a quarter second (their start-up done)."""
    before = [cpu_ticks(pid) for pid in pids]
    time.sleep(0.25)
    return [cpu_ticks(pid) for pid in pids] == before


def connections_held(pid: int, port: int) -> int:
    """Established TCP connections to ``port`` that process ``pid`` holds (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
            count += 1
    return count
