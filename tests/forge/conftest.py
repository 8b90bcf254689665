"""The real ucanto / Storacha packages from npm (tests/forge/peer, pinned by its lockfile)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.forge_peers import PEER


@pytest.fixture(scope="session")
def node_peer() -> Path:
    assert shutil.which("node"), "Node.js is needed for the Forge tests"
    assert (PEER / "node_modules" / "@ucanto" / "core").is_dir(), "run `make test` (it runs npm ci in tests/forge/peer)"
    return PEER


def run_node(peer: Path, script: str, request: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        ["node", script], input=json.dumps(request), capture_output=True, text=True, cwd=peer, timeout=60
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer
