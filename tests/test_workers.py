"""ConnectionLoad: how a worker decides it should leave a connection to another."""

from __future__ import annotations

from moto_forge.workers import NOT_READY, ConnectionLoad


def _worker(load: ConnectionLoad, index: int) -> ConnectionLoad:
    """The view worker ``index`` has of the shared counters (as after its fork)."""
    view = ConnectionLoad.__new__(ConnectionLoad)
    view.__dict__.update(load.__dict__)
    view.bind(index)
    return view


def test_excess_counts_connections_beyond_the_least_loaded_ready_worker() -> None:
    load = ConnectionLoad(3)
    first, second, third = (_worker(load, i) for i in range(3))
    for worker in (first, second, third):
        worker.ready()
    for _ in range(3):
        first.opened()
    second.opened()
    assert (first.excess(), second.excess(), third.excess()) == (3, 1, 0)
    first.closed()
    assert first.excess() == 2


def test_a_worker_still_starting_is_not_the_least_loaded() -> None:
    load = ConnectionLoad(2)
    first, second = _worker(load, 0), _worker(load, 1)
    first.ready()
    for _ in range(4):
        first.opened()
    assert first.excess() == 0  # the other worker is importing: no reason to wait for it
    second.ready()
    assert first.excess() == 4


def test_a_worker_started_again_is_not_ready_until_it_says_so() -> None:
    load = ConnectionLoad(2)
    first, second = _worker(load, 0), _worker(load, 1)
    first.ready()
    second.ready()
    first.opened()
    again = _worker(load, 1)  # worker 1 died and was forked again
    assert load._load(1) == NOT_READY
    assert first.excess() == 0
    again.ready()
    assert first.excess() == 1
