"""BoundedCache: least recently used out first, safe under concurrent readers and writers."""

from __future__ import annotations

import threading

from moto_forge.cache import BoundedCache


def test_a_read_keeps_an_entry_and_the_least_recent_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert cache.pop("a") == 1 and "a" not in cache


def test_readers_and_writers_at_once_keep_the_bound_and_the_values() -> None:
    cache: BoundedCache[int, int] = BoundedCache(64)
    errors: list[BaseException] = []

    def write(offset: int) -> None:
        for i in range(20_000):
            cache.put((i + offset) % 500, (i + offset) % 500)

    def read() -> None:
        try:
            for i in range(40_000):
                value = cache.get(i % 500)
                assert value is None or value == i % 500
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in (0, 250)]
    threads += [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache._entries) <= 64
