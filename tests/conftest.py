"""Shared test settings: hypothesis profiles (``HYPOTHESIS_PROFILE=ci`` runs more examples)."""

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# ---- storage fixtures: every backend runs the same suites ------------------

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from moto_forge.bucket.service import BucketService  # noqa: E402
from moto_forge.registry import default_url  # noqa: E402
from tests.support.forge_peers import PeerLauncher, peer_launcher  # noqa: E402
from tests.support.postgres import create_database, running_postgres  # noqa: E402

BACKENDS = ["sqlite", "postgres"]

LOCAL_TARGETS = {"server", "mock_forge", "embedded"}
"""Parameter values of the e2e ``s3`` / ``target`` fixtures that do not involve Forge."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--forge-stack",
        choices=["npm", "go"],
        default="npm",
        help="Forge peer for the Forge tests: the npm upload-api peer (default), or the real Go services "
        "(piri + indexing-service; runs only the tests that talk to a Forge peer)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "go_stack: asserts on the Go services themselves (runs with --forge-stack=go)")
    config.addinivalue_line("markers", "no_forge: runs its own local server (not repeated with --forge-stack=go)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--forge-stack=go`` keep the tests that talk to a Forge peer: those of
    tests/forge that start one, and the e2e suite (whose ``served`` / ``secured``
    servers are then ``serve --forge`` on the Go stack) minus its local-only
    variants.  Without it, leave out the tests that look inside the Go services."""
    go = config.getoption("--forge-stack") == "go"
    keep, drop = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        values = {v for v in (params.params.values() if params else []) if isinstance(v, str)}
        in_e2e = "tests/e2e/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("e2e/")
        local = bool(values & LOCAL_TARGETS) or item.get_closest_marker("no_forge") is not None
        talks_to_forge = "forge_peer" in getattr(item, "fixturenames", ()) or (in_e2e and not local)
        go_only = item.get_closest_marker("go_stack") is not None
        wanted = (talks_to_forge or go_only) if go else not go_only
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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


@pytest.fixture(scope="session")
def forge_peer(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> PeerLauncher:
    """Start a Forge peer: the npm upload-api peer, or the Go stack under ``--forge-stack=go``."""
    return peer_launcher(request.config, tmp_path_factory)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures of the robustness tests that ran (requests fuzzed, errors)."""
    from tests.e2e.test_fuzz_http import FUZZ_STATS
    from tests.e2e.test_kill_under_load import KILL_STATS
    from tests.e2e.test_load import LOAD_STATS

    if FUZZ_STATS["requests"]:
        terminalreporter.write_line(
            f"HTTP fuzzer: {FUZZ_STATS['requests']} requests, {FUZZ_STATS['writes']} accepted writes, "
            f"{FUZZ_STATS['server_errors']} server errors"
        )
    if KILL_STATS:
        terminalreporter.write_line(
            f"SIGKILL under load: {KILL_STATS['kills']} kills survived, {KILL_STATS['acknowledged']} acknowledged "
            f"writes, {KILL_STATS['keys']} keys checked after each restart"
        )
    if LOAD_STATS:
        s = LOAD_STATS
        terminalreporter.write_line(
            f"load: {s['clients']:.0f} clients, {s['seconds']:.0f} s, {s['operations']:.0f} operations, "
            f"{s['errors']:.0f} errors; server RSS {s['warm_rss_mib']:.0f} -> {s['end_rss_mib']:.0f} MiB, "
            f"open fds {s['warm_fds']:.0f} -> {s['end_fds']:.0f} "
            f"(registry and blob files {s['warm_cached_fds']:.0f} -> {s['end_cached_fds']:.0f})"
        )
