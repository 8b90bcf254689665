"""The real ucanto / Storacha packages from npm (tests/forge/peer, pinned by its lockfile)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PEER = Path(__file__).parent / "peer"


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


class UploadPeer:
    """tests/forge/peer/server.mjs: the real upload-api over HTTP, our space provisioned."""

    def __init__(self, peer: Path, space_key: str, agent_key: str) -> None:
        import os

        env = {**os.environ, "FORGE_SPACE_KEY": space_key, "FORGE_AGENT_KEY": agent_key}
        self.process = subprocess.Popen(["node", "server.mjs"], cwd=peer, env=env, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the upload-api peer did not start"
        info = json.loads(line)
        self.url: str = info["url"]
        self.did: str = info["did"]
        self.key: str = info["key"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
