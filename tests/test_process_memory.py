"""A serving process caps glibc's malloc arenas (moto_forge/process_memory.py)."""

from __future__ import annotations

import subprocess
import sys


def test_the_arena_cap_is_taken_by_glibc() -> None:
    # in a child: the cap stays with the process that set it
    code = "from moto_forge.process_memory import limit_malloc_arenas as cap; print(cap(2), cap(0))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]
