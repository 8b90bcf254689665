"""The server configuration crosses the supervisor's ``exec`` as JSON
(moto_forge/supervisor.py): every field comes back as it went."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from moto_forge.cli import connection_cap
from moto_forge.server import ServerConfig, config_from_json, config_to_json, make
from moto_forge.tenants import Tenant


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
