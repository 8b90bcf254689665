"""The load generator ``make bench`` measures every server with (``bench/s3load``), run against
a real ``moto-forge serve``: its mixed run is the mix it names, whatever the server's speed,
and it reports a server that answers wrongly instead of counting it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.peers import Running, build_s3load, load
from tests.bench.conftest import bench_peer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def s3load() -> Path:
    return build_s3load()


@pytest.fixture
def forge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    with bench_peer("moto_forge", tmp_path, monkeypatch) as server:
        yield server


def test_the_mixed_run_is_60_30_10_from_its_first_second(s3load: Path, forge: Running) -> None:
    result = load(s3load, forge, "mixed", "mixed", clients=4, count=25, duration="3s", prefix="m")
    assert result["errors"] == 0, result.get("first_error")
    mix = result["mix"]
    total = sum(mix.values())
    assert total == result["ops"] > 200
    # The working set is written before the clock starts: GETs are GETs (of present keys, or
    # of keys a DELETE removed, answered NoSuchKey), never turned into PUTs.
    assert abs((mix["get"] + mix["get_absent"]) / total - 0.6) < 0.07
    assert abs(mix["put"] / total - 0.3) < 0.07
    assert abs(mix["delete"] / total - 0.1) < 0.05
    assert mix["get_absent"] > 0


def test_a_get_of_other_bytes_is_an_error_not_a_figure(s3load: Path, forge: Running) -> None:
    written = load(s3load, forge, "put", "checks", clients=2, count=20, size=1000, prefix="k")
    assert written["errors"] == 0 and written["ops"] == 20
    # The same keys, expected with a body of another size: every GET must be reported.
    wrong = load(s3load, forge, "get", "checks", clients=2, count=20, size=1001, prefix="k")
    assert wrong["errors"] == 20
    assert wrong["ops"] == 0
    assert "differ" in wrong["first_error"] or "were written" in wrong["first_error"]
