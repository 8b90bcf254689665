"""Starting one of the bench's peers (``bench/peers.py``) as the bench does, for a test."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.peers import Running, peers


@contextlib.contextmanager
def bench_peer(name: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    """Peer ``name`` started fresh on ``workdir``, stopped on exit."""
    monkeypatch.setenv("BENCH_PEERS", name)
    (peer,) = peers(sys.executable)
    server = Running(peer, str(workdir))
    try:
        yield server
    finally:
        server.stop()
