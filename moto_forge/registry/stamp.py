"""A SQLite registry's change stamp: lets a process keep bucket records between requests and
know, without a query, that no write has committed since it read them.

Two 8-byte counters in a small file beside the database (``<file>-stamp``), mapped shared
by every process that opens the registry.  A write transaction, inside the registry's
write turn (:mod:`moto_forge.turns`, which every writer of the file takes), sets
``begun`` to a new value before it starts and ``ended`` to that same value once it has
committed or rolled back.  So:

- ``begun == ended``: no write is under way, and none has finished since the counters
  last had this value (:meth:`ChangeStamp.settled` returns it);
- ``begun != ended``: a write is under way (or its process died inside one: the next
  write sets them equal again), and nothing may be served from a cache.

A reader keeps a record it read with the settled value it saw *before* the query and
reads it again after: only if it is unchanged does the record go in the cache.  A cached
record is good while the stamp still settles at the same value.  Not durable, and need
not be: it only ever compares values taken while the processes run.
"""

from __future__ import annotations

import mmap
import os
import struct

_BEGUN, _ENDED = 0, 8
SIZE = 16


class ChangeStamp:
    """The stamp file ``path`` (made, zeroed, if missing), mapped shared."""

    def __init__(self, path: str) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)  # the missing bytes read as zeros
            self._map = mmap.mmap(fd, SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)

    def _get(self, at: int) -> int:
        return int(struct.unpack_from("Q", self._map, at)[0])

    def begin(self) -> int:
        """Mark a write as under way (call holding the registry's write turn); the value
        to pass to :meth:`end`."""
        value = (self._get(_BEGUN) + 1) & 0xFFFF_FFFF_FFFF_FFFF
        struct.pack_into("Q", self._map, _BEGUN, value)
        return value

    def end(self, value: int) -> None:
        """Mark the write :meth:`begin` returned ``value`` for as finished (committed or
        rolled back; still holding the write turn)."""
        struct.pack_into("Q", self._map, _ENDED, value)

    def settled(self) -> int | None:
        """The stamp's value while no write is under way; ``None`` while one is."""
        ended = self._get(_ENDED)
        return ended if self._get(_BEGUN) == ended else None

    def close(self) -> None:
        self._map.close()


def stamp_beside(database: str) -> ChangeStamp | None:
    """The change stamp of the SQLite file ``database``; ``None`` where no file can be made
    beside it (records are then never cached)."""
    try:
        return ChangeStamp(database + "-stamp")
    except OSError:
        return None
