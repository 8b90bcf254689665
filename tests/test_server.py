"""The server configuration crosses the supervisor's ``exec`` as JSON
(moto_forge/supervisor.py): every field comes back as it went."""

from __future__ import annotations

import argparse
import dataclasses
import socket
import threading
import time
from pathlib import Path

import pytest

from moto_forge.cli import connection_cap
from moto_forge.server import ServerConfig, config_from_json, config_to_json, make
from moto_forge.tenants import Tenant
from tests.support.raw_http import read_reply


def test_a_config_survives_its_json_form() -> None:
    config = ServerConfig(
        host="0.0.0.0", port=9000, data_dir="/data", registry_url="postgresql://db/forge",
        credentials={"AKIAEXAMPLE0000001": "secret-0123456789"},
        tenants=(Tenant("alice", "AKIAALICE000000001", "alice-secret-012345"),),
        quiet=True, forge_url="http://forge:8080", write_mode="async", forge_timeout=12.5,
        workers=4, ship_outbox=False, legacy_bucket_names=True, auth_note="checked", max_connections=7,
    )  # fmt: skip
    back = config_from_json(config_to_json(config))
    assert back == config
    assert back.tenants[0].secret_key == "alice-secret-012345"
    assert {f.name for f in dataclasses.fields(ServerConfig)} == set(dataclasses.asdict(back))


def test_the_connection_cap_reaches_the_server(tmp_path: Path) -> None:
    server = make(ServerConfig(port=0, data_dir=str(tmp_path), quiet=True, max_connections=3))
    try:
        assert server.max_connections == 3
    finally:
        server.server_close()
    assert connection_cap("250") == 250
    for bad in ("0", "100001", "many"):
        with pytest.raises(argparse.ArgumentTypeError):
            connection_cap(bad)


def test_a_body_below_the_minimum_rate_gets_s3s_request_timeout_and_stores_nothing(tmp_path: Path) -> None:
    """The S3 app answers a body the server cut off for its rate (``moto_forge/serving.py``)
    as S3 does: 400 ``RequestTimeout``; the object is not written."""
    server = make(ServerConfig(port=0, data_dir=str(tmp_path), quiet=True))
    server.body_grace, server.body_min_rate = 1.0, 1000.0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert _request(server.port, b"PUT /slow-bucket HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")[0] == 200
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"PUT /slow-bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
            reply = b""
            for _ in range(50):  # 100 bytes/s, until the answer comes
                try:
                    sock.sendall(b"x" * 10)
                except OSError:
                    break
                time.sleep(0.1)
                sock.settimeout(0.01)
                try:
                    reply = sock.recv(65536)
                    break
                except TimeoutError:
                    pass
        assert reply.startswith(b"HTTP/1.1 400") and b"<Code>RequestTimeout</Code>" in reply, reply
        status, body = _request(server.port, b"GET /slow-bucket/key HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 404 and b"<Code>NoSuchKey</Code>" in body
    finally:
        server.shutdown()
        server.server_close()


def _request(port: int, raw: bytes) -> tuple[int, bytes]:
    """The status and the body of the reply to ``raw``, on a connection of its own."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        head, _, body = read_reply(sock).partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body
