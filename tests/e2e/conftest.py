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
from tests.support.forge_peers import PeerLauncher
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
def secured(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server started with credentials (SigV4 checked); with ``--forge-stack=go`` it
    is ``serve --forge`` on the Go stack, in sync mode."""
    if go_stack(request):
        yield request.getfixturevalue("secured_forge_sync")
        return
    data_dir = str(tmp_path_factory.mktemp("secured"))
    server = start_server(data_dir, "--access-key", SECURED_ACCESS, "--secret-key", SECURED_SECRET)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``moto-forge serve`` on the embedded store; with ``--forge-stack=go`` it is
    ``serve --forge`` on the Go stack, in sync mode (so the whole e2e suite runs there)."""
    if go_stack(request):
        yield request.getfixturevalue("forge_sync")
        return
    server = start_server(str(tmp_path_factory.mktemp("served")))
    yield server
    server.stop()


def go_stack(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--forge-stack") == "go")


def forge_served(
    tmp_path_factory: pytest.TempPathFactory, forge_peer: PeerLauncher, mode: str, *extra: str
) -> Iterator[Served]:
    """``moto-forge serve --forge`` on a Forge peer (the npm upload-api peer, or the Go
    stack under ``--forge-stack=go``), in ``mode``."""
    from moto_forge.forge.identity import Identity

    data_dir = str(tmp_path_factory.mktemp(f"forge-{mode}"))
    identity = Identity.load_or_create(data_dir)
    peer = forge_peer(identity)
    flags = ["--forge", peer.url, "--forge-did", peer.did, "--forge-key", peer.key, "--forge-claims", peer.claims_url]
    server = start_server(data_dir, *flags, "--write-mode", mode, *extra)
    yield server
    server.stop()
    peer.stop()


@pytest.fixture(scope="session")
def forge_sync(tmp_path_factory: pytest.TempPathFactory, forge_peer: PeerLauncher) -> Iterator[Served]:
    yield from forge_served(tmp_path_factory, forge_peer, "sync")


@pytest.fixture(scope="session")
def forge_async(tmp_path_factory: pytest.TempPathFactory, forge_peer: PeerLauncher) -> Iterator[Served]:
    yield from forge_served(tmp_path_factory, forge_peer, "async")


@pytest.fixture(scope="session")
def secured_forge_sync(tmp_path_factory: pytest.TempPathFactory, forge_peer: PeerLauncher) -> Iterator[Served]:
    yield from forge_served(
        tmp_path_factory, forge_peer, "sync", "--access-key", SECURED_ACCESS, "--secret-key", SECURED_SECRET
    )


@pytest.fixture(scope="session")
def secured_forge_async(tmp_path_factory: pytest.TempPathFactory, forge_peer: PeerLauncher) -> Iterator[Served]:
    yield from forge_served(
        tmp_path_factory, forge_peer, "async", "--access-key", SECURED_ACCESS, "--secret-key", SECURED_SECRET
    )


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


OWN_ACCESS, OWN_SECRET = "MFAKSERVEROWNKEY0001", "server-own-secret-key-0123"
"""The server's own access key and secret in the tenant tests."""


def as_user(url: str, access: str, secret: str) -> Any:
    """A boto3 S3 client signing SigV4 as ``access``, without retries."""
    return boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=access, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, signature_version="s3v4"),
    )  # fmt: skip
