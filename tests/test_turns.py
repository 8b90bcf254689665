"""Turns (moto_forge/turns.py): one holder at a time across processes, reentrant within a
thread, a waiter going on the moment the holder lets go, and stripes by name."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from moto_forge.turns import FileTurn, TurnStripes


def test_another_process_waits_for_the_turn_and_goes_when_it_is_let_go(tmp_path: Path) -> None:
    turn = FileTurn(str(tmp_path / "turn"))
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child holds the turn until told to let go
        code = 0
        try:
            with turn.held():
                os.write(ready_w, b"1")
                os.read(go_r, 1)
                time.sleep(0.2)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    try:
        assert os.read(ready_r, 1) == b"1"
        os.write(go_w, b"1")
        started = time.monotonic()
        with turn.held():  # opened afresh in this process: the child's hold is not ours
            waited = time.monotonic() - started
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert 0.15 < waited < 5


def test_a_turn_is_reentrant_in_a_thread_and_exclusive_between_threads(tmp_path: Path) -> None:
    turn = FileTurn(str(tmp_path / "turn"))
    inside: list[str] = []

    def take() -> None:
        with turn.held():
            inside.append("other")

    with turn.held(), turn.held():  # nested: taken once
        other = threading.Thread(target=take)
        other.start()
        other.join(timeout=0.2)
        assert other.is_alive() and inside == []  # the other thread waits for this one
    other.join(timeout=5)
    assert inside == ["other"]


def test_stripes_share_a_turn_by_name_and_hold_nothing_without_their_folder(tmp_path: Path) -> None:
    stripes = TurnStripes(str(tmp_path / "locks"), "bucket", stripes=4)
    with stripes.held("photos"):
        assert len(os.listdir(tmp_path / "locks")) == 1
    (tmp_path / "file").write_text("not a folder")
    unusable = TurnStripes(str(tmp_path / "file" / "locks"), "bucket")
    with unusable.held("photos"):  # no lock files can be made: the block still runs
        pass
