"""How a serving process asks glibc's allocator to hold less memory.

glibc's ``malloc`` gives threads that allocate at the same time arenas of their own (up
to eight per core), and memory freed into an arena stays with it.  A server with a thread
per connection, whose requests allocate bodies and buffers outside Python's small-object
allocator, so kept tens of MiB per worker in arenas no thread was using (a ``make
bench-peers`` run: 464 -> 401 MiB of peak RSS for the same workloads with two arenas).
"""

from __future__ import annotations

import ctypes

M_ARENA_MAX = -8
"""``mallopt``'s parameter number for the arena limit (glibc's ``malloc.h``)."""

SERVER_ARENAS = 2


def limit_malloc_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (arenas made from now on); ``False``
    where the C library is not glibc (nothing changed)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
