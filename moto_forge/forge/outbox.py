"""Async write mode: writes commit locally; a durable outbox ships them to Forge.

Each CAR a write stores enters the registry's ``outbox`` table in the same
transaction that commits the write, so the outbox survives crashes and
restarts exactly as the writes do.  One shipper thread publishes entries
strictly oldest first (a completed multipart upload never reaches Forge
before its parts), retrying a failing entry forever with exponential backoff
(0.5 s doubling to 60 s).  A bucket's ``forge_root`` advances only when the
entry that produced that root has shipped, and with it every older one.
Reads are served locally, so they never miss an acknowledged write.

A server that starts with a backlog (it was offline from Forge, or stopped with writes
queued) shows its catch-up: ``progress`` (``serve`` passes
:class:`moto_forge.progress.Progress`) is made with the backlog's size and told each
entry shipped, until the backlog it started with is through.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from moto_forge.errors import ForgeError
from moto_forge.forge.publisher import ForgePublisher
from moto_forge.registry import Registry

log = logging.getLogger("moto_forge.outbox")

MIN_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 60.0
IDLE_POLL_SECONDS = 1.0


ProgressFactory = Callable[[str, int, str], Any]
"""``(what, total, unit)`` -> a callable taking the count so far, with ``close()``."""


class OutboxShipper:
    def __init__(self, registry: Registry, publisher: ForgePublisher, progress: ProgressFactory | None = None) -> None:
        self.registry = registry
        self.publisher = publisher
        self.progress = progress
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forge-outbox", daemon=True)

    def start(self) -> OutboxShipper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=30)

    def ship_one(self) -> bool:
        """Publish the oldest entry; ``True`` if one shipped, ``False`` if none or it failed."""
        entry = self.registry.outbox_next()
        if entry is None:
            return False
        try:
            self.publisher.publish_names(entry.car, entry.index, entry.space, entry.root)
        except ForgeError as exc:
            log.warning("outbox entry %s (CAR %s) not shipped: %s", entry.id, entry.car, exc)
            self.registry.outbox_failed(entry, str(exc))
            return False
        self.registry.outbox_done(entry)
        return True

    def _catch_up(self) -> tuple[Any, int]:
        """The progress of the backlog found at start (``None`` without one) and its size."""
        if self.progress is None:
            return None, 0
        try:
            backlog = sum(self.registry.outbox_summary().values())
        except ForgeError:
            return None, 0
        if not backlog:
            return None, 0
        log.info("outbox: %d write(s) to ship to Forge", backlog)
        return self.progress("catching up with Forge", backlog, "writes"), backlog

    def _run(self) -> None:
        backoff = MIN_BACKOFF_SECONDS
        bar, backlog = self._catch_up()
        shipped = 0
        while not self._stop.is_set():
            try:
                if self.ship_one():
                    backoff = MIN_BACKOFF_SECONDS
                    if bar is not None:
                        shipped += 1
                        bar(shipped)
                        if shipped >= backlog:
                            bar.close()
                            bar = None
                    continue
                pending = self.registry.outbox_next() is not None
            except ForgeError as exc:  # the registry itself failing: wait and try again
                log.warning("outbox: %s", exc)
                pending = True
            self.wake.wait(backoff if pending else IDLE_POLL_SECONDS)
            self.wake.clear()
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS) if pending else MIN_BACKOFF_SECONDS
        if bar is not None:
            bar.close()
