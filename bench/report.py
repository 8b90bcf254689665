"""Shared output of the benchmark scripts: a table on stdout and a JSON file."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def report(name: str, title: str, results: dict[str, float]) -> None:
    """Print ``results`` under ``title`` and write ``bench/results/<name>.json``."""
    print(f"{title} ({machine()})")
    print(f"{'measure':40s} {'value':>12s}")
    for measure, value in results.items():
        print(f"{measure:40s} {value:12.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
