"""Turns: locks that the threads of every process on one machine take one after another,
by ``flock`` on a file.

They order work that is already correct without them: every commit is a compare-and-swap
in the registry, and SQLite serializes its writers.  What they change is *when* a waiter
goes: SQLite's busy handler makes a writer that finds the file locked sleep and retry (1,
2, 5, 10 ms and longer), and two processes committing to one bucket at once lose their
swaps to each other and redo their work, again and again (920 lost swaps in 4 000 commits
measured with two workers and eight clients, up to 30 attempts for one write).  A waiter
on a turn wakes the moment the holder lets go, and meanwhile its process gathers more
writes into its next group commit.

A turn is reentrant within a thread, and opened afresh in a forked child (a file
description shared across ``fork`` would let parent and child in at once).  Nothing waits
for a turn while holding a turn taken later in this order: a bucket's commit turn
(:class:`TurnStripes`), then the registry's write turn.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import zlib
from collections.abc import Iterator


class FileTurn:
    """One turn, on the file at ``path`` (made if missing)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._pid = -1
        self._fd = -1
        self._mutex = threading.RLock()
        self._depth = 0

    def open(self) -> int:
        """The lock file's descriptor in this process (opened on first use after a fork);
        :class:`OSError` if the file cannot be made."""
        if self._pid != os.getpid():
            self._mutex = threading.RLock()
            self._depth = 0
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the turn (this thread, this process) for the block."""
        fd = self.open()
        with self._mutex:
            self._depth += 1
            try:
                if self._depth == 1:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                if self._depth == 1:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                self._depth -= 1

    def close(self) -> None:
        if self._pid == os.getpid() and self._fd >= 0:
            os.close(self._fd)
        self._fd, self._pid = -1, -1


class TurnStripes:
    """A turn per name (a bucket), over ``stripes`` lock files in ``folder``: names that hash
    to one stripe share its turn.  Where the folder cannot be made, :meth:`held` holds nothing."""

    def __init__(self, folder: str, prefix: str, stripes: int = 16) -> None:
        self.folder = folder
        self._turns = [FileTurn(os.path.join(folder, f"{prefix}-{n:02d}")) for n in range(stripes)]
        self._usable: bool | None = None

    def _ready(self) -> bool:
        if self._usable is None:
            try:
                os.makedirs(self.folder, exist_ok=True)
                self._usable = True
            except OSError:
                self._usable = False
        return self._usable

    @contextlib.contextmanager
    def held(self, name: str) -> Iterator[None]:
        """Hold ``name``'s turn for the block."""
        if not self._ready():
            yield
            return
        turn = self._turns[zlib.crc32(name.encode()) % len(self._turns)]
        try:
            turn.open()
        except OSError:
            yield
            return
        with turn.held():
            yield

    def close(self) -> None:
        for turn in self._turns:
            turn.close()
