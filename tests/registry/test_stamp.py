"""The change stamp: counters shared through a file, and what a reader may conclude."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from moto_forge.registry.stamp import ChangeStamp, stamp_beside


def test_settled_between_writes_and_not_during_one(tmp_path: Path) -> None:
    stamp = ChangeStamp(str(tmp_path / "db-stamp"))
    first = stamp.settled()
    assert first is not None
    mark = stamp.begin()
    assert stamp.settled() is None
    stamp.end(mark)
    second = stamp.settled()
    assert second is not None and second != first


def test_every_opener_sees_the_same_counters(tmp_path: Path) -> None:
    path = str(tmp_path / "db-stamp")
    mine, theirs = ChangeStamp(path), ChangeStamp(path)
    before = mine.settled()
    mark = theirs.begin()
    assert mine.settled() is None
    theirs.end(mark)
    assert mine.settled() not in (None, before)


def test_another_process_s_write_is_seen(tmp_path: Path) -> None:
    path = str(tmp_path / "db-stamp")
    stamp = ChangeStamp(path)
    before = stamp.settled()
    script = f"from moto_forge.registry.stamp import ChangeStamp; s = ChangeStamp({path!r}); s.end(s.begin())"
    subprocess.run([sys.executable, "-c", script], check=True)
    assert stamp.settled() not in (None, before)


def test_a_writer_that_died_mid_write_leaves_it_unsettled_until_the_next_write(tmp_path: Path) -> None:
    path = str(tmp_path / "db-stamp")
    stamp = ChangeStamp(path)
    ChangeStamp(path).begin()  # and never ends: its process was killed
    assert stamp.settled() is None
    later = ChangeStamp(path)
    later.end(later.begin())
    assert stamp.settled() is not None


def test_no_stamp_where_no_file_can_be_made(tmp_path: Path) -> None:
    assert stamp_beside(str(tmp_path / "missing-dir" / "db")) is None
    assert stamp_beside(str(tmp_path / "db")) is not None
