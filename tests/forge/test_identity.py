"""The generated space and agent, their key files, and `moto-forge space delegate`
archives as @ucanto/core's Delegation.extract reads them."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

from moto_forge.forge.identity import Identity
from moto_forge.ucan.archive import extract
from tests.forge.conftest import run_node


def test_identity_is_generated_once_with_private_files(tmp_path: Path) -> None:
    first = Identity.load_or_create(str(tmp_path))
    again = Identity.load_or_create(str(tmp_path))
    assert first.space.did == again.space.did and first.agent.did == again.agent.did
    assert first.space.did != first.agent.did
    folder = tmp_path / "identity"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("space.key", "agent.key", "space-to-agent.car"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    proof = first.agent_proof
    assert proof.issuer == first.space.did and proof.audience == first.agent.did and proof.verify_signature()
    assert [(c.with_, c.can) for c in proof.capabilities] == [(first.space.did, "*")]


def test_space_delegate_cli_writes_what_ucanto_extracts(tmp_path: Path, node_peer: Path) -> None:
    audience = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    out = tmp_path / "delegation.car"
    cmd = [sys.executable, "-m", "moto_forge.cli", "space", "delegate", "--data-dir", str(tmp_path),
           "--audience", audience, "--can", "space/blob/add", "--can", "upload/list", "--expiration", "3600",
           "--out", str(out)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    identity = Identity.load_or_create(str(tmp_path))
    ours, _ = extract(out.read_bytes())
    answer = run_node(
        node_peer, "ucan-vectors.mjs", {"op": "extract", "car": base64.b64encode(out.read_bytes()).decode()}
    )
    assert answer["ok"] is True and answer["cid"] == str(ours.cid)
    assert answer["issuer"] == identity.space.did and answer["audience"] == audience
    assert answer["capabilities"] == [
        {"with": identity.space.did, "can": "space/blob/add"},
        {"with": identity.space.did, "can": "upload/list"},
    ]
    assert ours.expiration is not None and answer["expiration"] == ours.expiration
    info = subprocess.run([sys.executable, "-m", "moto_forge.cli", "space", "info", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert f"space: {identity.space.did}" in info.stdout
    assert identity.space.encode() not in info.stdout + info.stderr  # the secret never prints
    bad = subprocess.run(cmd[:-6] + ["--audience", "not a did", "--can", "x", "--out", os.devnull],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
