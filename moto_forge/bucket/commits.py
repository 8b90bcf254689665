"""Group commit: the writers of one bucket queue their changes, and whoever holds the
bucket's commit lock commits everything queued in one go.

A writer :meth:`CommitQueue.join` s the queue with a :class:`CommitRequest`,
then takes the queue's lock.  If an earlier lock holder has already decided
its request, it only reads the outcome; otherwise it :meth:`CommitQueue.take` s
every request waiting (its own among them, oldest first) and decides them as
one batch.  Under concurrent writers the per-commit costs (the registry read,
the flush to disk, the registry transaction) are paid once per batch instead
of once per write; a lone writer is a batch of one.

This module is the mechanism only; what deciding a batch means is the bucket
service's (:meth:`moto_forge.bucket.service.BucketService.commit`).
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto_forge.blocks import PendingCar
from moto_forge.registry import ListingChanges, SharedBlocks

if TYPE_CHECKING:
    from moto_forge.bucket.versions import BucketState

MAX_BATCH = 64
"""Requests decided together at most (bounds the work, and the wait, of one lock hold)."""


MAX_EPOCH_RETRIES = 5
"""Times a write that references blocks outside its own CAR (a copy) reads them again
because a gc sweep ran in between, before it gives up (503)."""


@dataclass(eq=False)
class CommitRequest:
    """One write waiting to be committed: its change, its CAR (body blocks already in it,
    rewound to ``mark`` before each attempt) and, once decided, its outcome."""

    operation: str
    mutate: Callable[[BucketState, PendingCar], BucketState]
    car: PendingCar
    mark: tuple[int, int, Any]
    consume_upload: str | None = None
    listing: ListingChanges | None = None
    shared: SharedBlocks | None = None
    """Blocks the write references outside its CAR and the bucket's tree (registry.py, the gc fence)."""
    actor: str | None = None
    """Who made the write (:mod:`moto_forge.bucket.actor`), for the history."""
    outcome: Any = field(default=None)
    """``None`` until decided; then the write's result or the exception it failed with."""

    def decide(self, outcome: object) -> None:
        """Set the outcome (a result, or an exception to raise in the writer's thread)."""
        self.outcome = outcome

    @property
    def decided(self) -> bool:
        return self.outcome is not None

    def result(self) -> Any:
        """The decided result; raises the exception the write failed with."""
        if self.outcome is None:
            raise RuntimeError(f"commit of {self.operation!r} read before it was decided")
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


class CommitQueue:
    """One bucket's queue of waiting requests and its commit lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        """Held by the writer deciding a batch (and briefly by each writer reading its outcome)."""
        self._waiting: deque[CommitRequest] = deque()
        self._guard = threading.Lock()

    def join(self, request: CommitRequest) -> None:
        with self._guard:
            self._waiting.append(request)

    def take(self, limit: int = MAX_BATCH) -> list[CommitRequest]:
        """The oldest ``limit`` waiting requests, removed from the queue (call holding :attr:`lock`)."""
        with self._guard:
            count = min(limit, len(self._waiting))
            return [self._waiting.popleft() for _ in range(count)]

    def waiting(self) -> int:
        with self._guard:
            return len(self._waiting)

    def run(
        self,
        request: CommitRequest,
        decide: Callable[[list[CommitRequest]], None],
        turn: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
    ) -> Any:
        """Join, then hold the lock until ``request`` is decided, deciding batches with
        ``decide`` (which must decide every request it is given); return its result.

        Each batch is taken and decided inside ``turn()`` (the bucket's commit turn across
        processes): a batch is taken once the turn is ours, so the requests that queued
        while another process held it are in it too."""
        self.join(request)
        with self.lock:
            while not request.decided:
                with turn():
                    batch = self.take()
                    try:
                        decide(batch)
                    except BaseException as exc:  # every undecided request of the batch fails with it
                        for r in batch:
                            if not r.decided:
                                r.decide(exc)
                        if not isinstance(exc, Exception):
                            raise
                for r in batch:
                    if not r.decided:
                        r.decide(RuntimeError(f"the group commit left {r.operation!r} undecided"))
        return request.result()
