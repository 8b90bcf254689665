"""A bounded, thread-safe LRU map for immutable, content-addressed values (decoded MST
nodes, object manifests): a value cached under a CID was verified against it when read,
and nothing can change it afterwards, so a hit is as good as a verified read.  (Also
where a blob's Forge locations are remembered, with their age: ``forge/retrieval.py``.)"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most ``size`` entries; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        # No lock: each OrderedDict call is atomic under the GIL, and a key another thread
        # evicts between the two calls only misses its move to the end.
        value = self._entries.get(key)
        if value is not None:
            try:  # noqa: SIM105 (contextlib.suppress costs a context manager per hit)
                self._entries.move_to_end(key)
            except KeyError:
                pass
        return value

    def __contains__(self, key: K) -> bool:
        return key in self._entries  # one dict lookup: atomic under the GIL, as in get

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def put_many(self, items: list[tuple[K, V]]) -> None:
        with self._lock:
            for key, value in items:
                self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Forget ``key``; its value, if it had one."""
        with self._lock:
            return self._entries.pop(key, None)
