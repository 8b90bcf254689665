"""Real servers for end-to-end tests: ``moto-forge serve`` as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from moto_forge.mock import mock_forge
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    url: str
    data_dir: str
    process: subprocess.Popen[bytes]
    port: int

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_server(data_dir: str, *extra: str, port: int | None = None) -> Served:
    """Start ``moto-forge serve`` and wait until it accepts connections."""
    port = port or free_port()
    log_path = os.path.join(data_dir, f"server-{port}.log")
    command = [sys.executable, "-m", "moto_forge.cli", "serve", "--port", str(port), "--data-dir", data_dir]
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([*command, "--quiet", *extra], stdout=log, stderr=log, cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto-forge serve did not start (see {log_path})") from None
            time.sleep(0.1)
    return Served(f"http://127.0.0.1:{port}", data_dir, process, port)


def client(url: str | None, **config: Any) -> Any:
    kwargs: dict[str, Any] = {"region_name": "us-east-1", "config": Config(**config) if config else None}
    if url is not None:
        kwargs.update(endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing")
    return boto3.client("s3", **kwargs)


def empty_everything(s3: Any) -> None:
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        for upload in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=name, Delete={"Objects": keys})
        s3.delete_bucket(Bucket=name)


SECURED_ACCESS, SECURED_SECRET = "AKIDMOTOFORGETEST", "not-so-secret-key-for-tests"


@pytest.fixture(scope="session")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server started with credentials (SigV4 checked)."""
    data_dir = str(tmp_path_factory.mktemp("secured"))
    server = start_server(data_dir, "--access-key", SECURED_ACCESS, "--secret-key", SECURED_SECRET)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = start_server(str(tmp_path_factory.mktemp("served")))
    yield server
    server.stop()


def forge_served(tmp_path_factory: pytest.TempPathFactory, mode: str, *extra: str) -> Iterator[Served]:
    """``moto-forge serve --forge`` on the real upload-api peer (tests/forge/peer), in ``mode``."""
    from moto_forge.forge.identity import Identity
    from tests.forge.conftest import PEER, UploadPeer

    data_dir = str(tmp_path_factory.mktemp(f"forge-{mode}"))
    identity = Identity.load_or_create(data_dir)
    peer = UploadPeer(PEER, identity.space.encode(), identity.agent.encode())
    server = start_server(
        data_dir, "--forge", peer.url, "--forge-did", peer.did, "--forge-key", peer.key, "--write-mode", mode, *extra
    )
    yield server
    server.stop()
    peer.stop()


@pytest.fixture(scope="session")
def forge_sync(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from forge_served(tmp_path_factory, "sync")


@pytest.fixture(scope="session")
def forge_async(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from forge_served(tmp_path_factory, "async")


@pytest.fixture(scope="session")
def secured_forge_sync(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from forge_served(tmp_path_factory, "sync", "--access-key", SECURED_ACCESS, "--secret-key", SECURED_SECRET)


@pytest.fixture(scope="session")
def secured_forge_async(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from forge_served(tmp_path_factory, "async", "--access-key", SECURED_ACCESS, "--secret-key", SECURED_SECRET)


@pytest.fixture(params=["server", "mock_forge", "forge_sync", "forge_async"])
def s3(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A boto3 client with default settings: against a real ``moto-forge serve``, under
    ``mock_forge``, and against ``serve --forge`` on the real upload-api in both write modes."""
    if request.param == "mock_forge":
        with mock_forge():
            yield client(None)
        return
    served: Served = request.getfixturevalue("served" if request.param == "server" else request.param)
    s3 = client(served.url)
    yield s3
    empty_everything(s3)
