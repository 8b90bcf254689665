"""Progress of long operations on stderr (export, import, fsck, gc, a Forge catch-up)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class Progress:
    """A long command's progress on stderr: on a terminal a tqdm bar (count, rate, and with
    a ``total`` the share done and the time left); otherwise ``what: N`` lines, at most one
    a second (logs stay readable).  Called with the count so far; :meth:`close` at the end."""

    def __init__(self, what: str, total: int | None = None, unit: str = "blocks", stream: TextIO | None = None) -> None:
        self.what = what
        self.stream = stream or sys.stderr
        self._last = time.monotonic()
        self.count = 0
        self.bar: Any = None
        if self.stream.isatty():
            from tqdm import tqdm

            scale = unit == "B"
            self.bar = tqdm(total=total, desc=what, unit=unit, unit_scale=scale, unit_divisor=1024 if scale else 1000,
                            file=self.stream, leave=False, mininterval=0.2)  # fmt: skip

    def __call__(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count - self.count)
            self.count = count
            return
        self.count = count
        now = time.monotonic()
        if now - self._last >= 1.0:
            self._last = now
            print(f"{self.what}: {count}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
