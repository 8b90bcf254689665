"""pytest plugin (entry point ``pytest11: moto_forge``): real, persistent S3 for tests.

Fixtures (override the ``forge_*_config`` ones in your conftest to change them):

``forge_data_dir`` (session)
    where the session's server keeps its data (a temporary directory).
``forge_registry_url`` (session)
    registry URL, default SQLite in the data directory; or ``--forge-registry``.
``forge_settings`` (session)
    Forge settings (``--forge-url``, ``--forge-did``, ``--forge-key``,
    ``--forge-claims``, ``--forge-write-mode`` or the ``MOTO_FORGE_UPLOAD_*``
    environment): with them, the same tests run against Forge.
``forge_server`` (session)
    a moto_forge server on an ephemeral loopback port; ``.url``, ``.service``.
``forge_s3`` (function)
    a boto3 S3 client for that server; every bucket is removed after the test,
    so each test starts from an empty namespace.
``mock_forge`` is importable from ``moto_forge`` for in-process use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from moto_forge.bucket.service import BucketService
from moto_forge.compose import compose
from moto_forge.config import forge_settings_from_env
from moto_forge.server import ServerConfig, ServerThread


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("moto_forge")
    group.addoption(
        "--forge-registry", default=os.environ.get("MOTO_FORGE_REGISTRY"), help="registry URL for forge_server"
    )
    group.addoption(
        "--mock-aws-is-forge",
        action="store_true",
        help="make moto's mock_aws be mock_forge for this session (runs a mock_aws suite, moto's own "
        "included, with S3 on moto_forge)",
    )
    group.addoption("--forge-data-dir", default=None, help="data directory for forge_server (default: temporary)")
    env = forge_settings_from_env()
    group.addoption(
        "--forge-url", default=env.get("forge_url"), help="Forge upload service (env MOTO_FORGE_UPLOAD_URL)"
    )
    group.addoption("--forge-did", default=env.get("forge_did"), help="its DID (env MOTO_FORGE_UPLOAD_DID)")
    group.addoption("--forge-key", default=env.get("forge_key"), help="its receipt key (env MOTO_FORGE_UPLOAD_KEY)")
    group.addoption("--forge-did-document", default=env.get("forge_did_document"), help="its did:web document URL")
    group.addoption("--forge-claims", default=env.get("forge_claims"), help="indexer GET /claims URL")
    group.addoption("--forge-write-mode", default=env.get("write_mode", "sync"), choices=["sync", "async"])


def pytest_configure(config: pytest.Config) -> None:
    """With ``--mock-aws-is-forge``: ``moto.mock_aws`` is ``mock_forge`` before any test
    module imports it."""
    if config.getoption("--mock-aws-is-forge"):
        import moto
        import moto.core.decorator

        from moto_forge.mock import mock_forge

        moto.mock_aws = mock_forge  # type: ignore[assignment]
        moto.core.decorator.mock_aws = mock_forge  # type: ignore[assignment]


@dataclass
class ForgeServer:
    url: str
    service: BucketService
    thread: ServerThread

    def reset(self) -> None:
        """Remove every bucket (objects and uploads first)."""
        from moto_forge.bucket.maintenance import empty_all

        empty_all(self.service)


@pytest.fixture(scope="session")
def forge_data_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    chosen: str | None = request.config.getoption("--forge-data-dir")
    return chosen or str(tmp_path_factory.mktemp("forge-data"))


@pytest.fixture(scope="session")
def forge_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Forge settings for forge_server (empty: the embedded store only)."""
    options = {"forge_url": "--forge-url", "forge_did": "--forge-did", "forge_key": "--forge-key",
               "forge_claims": "--forge-claims", "write_mode": "--forge-write-mode",
               "forge_did_document": "--forge-did-document"}  # fmt: skip
    settings = {field: request.config.getoption(option) for field, option in options.items()}
    return {k: v for k, v in settings.items() if v} if settings["forge_url"] else {}


@pytest.fixture(scope="session")
def forge_registry_url(request: pytest.FixtureRequest) -> str | None:
    value: str | None = request.config.getoption("--forge-registry")
    return value


@pytest.fixture(scope="session")
def forge_server(
    forge_data_dir: str, forge_registry_url: str | None, forge_settings: dict[str, Any]
) -> Iterator[ForgeServer]:
    config = ServerConfig(
        port=0, data_dir=forge_data_dir, registry_url=forge_registry_url, quiet=True, **forge_settings
    )
    app = compose(config)
    service = app.service
    thread = ServerThread(config, app).start()
    yield ForgeServer(thread.url, service, thread)
    thread.stop()
    service.close()


@pytest.fixture
def forge_s3(forge_server: ForgeServer) -> Iterator[Any]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=forge_server.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    yield client
    forge_server.reset()
