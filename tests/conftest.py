"""Shared test settings: hypothesis profiles (``HYPOTHESIS_PROFILE=ci`` runs more examples)."""

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

SHARED = Path(os.environ.get("MOTO_FORGE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
"""The workplace's shared/ folder, beside the checkout (vectors live there)."""


# ---- storage fixtures: every backend runs the same suites ------------------

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from moto_forge.bucket.service import BucketService  # noqa: E402
from moto_forge.registry import default_url  # noqa: E402
from tests.support.postgres import create_database, running_postgres  # noqa: E402

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A real PostgreSQL server for the whole session (started here, stopped at the end)."""
    with running_postgres() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty registry database on each backend in turn."""
    if request.param == "sqlite":
        (tmp_path / "registry").mkdir(exist_ok=True)
        return default_url(str(tmp_path / "registry"))
    admin = request.getfixturevalue("postgres_admin_url")
    return create_database(admin, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def service(registry_url: str, tmp_path: Path) -> Iterator[BucketService]:
    """A bucket service over a temporary data directory, 1 KiB chunks (many chunks, small data)."""
    svc = BucketService.open(str(tmp_path / "data"), registry_url, chunk_size=1024)
    yield svc
    svc.close()
