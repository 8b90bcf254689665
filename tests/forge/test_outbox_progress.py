"""The outbox shipper shows a server's catch-up with Forge: a backlog found at start is
counted down through the progress it is given (unit test: a fake registry and publisher)."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from moto_forge.forge.outbox import OutboxShipper
from moto_forge.registry.records import OutboxEntry


class Backlog:
    """The registry calls the shipper makes, over a list of entries."""

    def __init__(self, count: int) -> None:
        self.entries = [OutboxEntry(n, "bkt", None, f"car-{n}", f"index-{n}", 0.0, 0, None) for n in range(count)]
        self.done = threading.Event()

    def outbox_summary(self) -> dict[str, int]:
        return {"bkt": len(self.entries)} if self.entries else {}

    def outbox_next(self) -> OutboxEntry | None:
        return self.entries[0] if self.entries else None

    def outbox_done(self, entry: OutboxEntry) -> None:
        self.entries.remove(entry)
        if not self.entries:
            self.done.set()

    def outbox_failed(self, entry: OutboxEntry, error: str) -> None:
        raise AssertionError(error)


class Publisher:
    def __init__(self) -> None:
        self.shipped: list[str] = []

    def publish_names(self, car: str, index: str, space: str | None, root: object = None) -> None:
        self.shipped.append(car)


class Recorder:
    made: ClassVar[list[tuple[str, int, str]]] = []
    counts: ClassVar[list[int]] = []
    closed: ClassVar[int] = 0

    def __init__(self, what: str, total: int, unit: str) -> None:
        Recorder.made.append((what, total, unit))

    def __call__(self, count: int) -> None:
        Recorder.counts.append(count)

    def close(self) -> None:
        Recorder.closed += 1


def test_a_backlog_at_start_is_shown_until_shipped() -> None:
    backlog = Backlog(5)
    publisher = Publisher()
    shipper = OutboxShipper(backlog, publisher, Recorder)  # type: ignore[arg-type]
    shipper.start()
    try:
        assert backlog.done.wait(30)
    finally:
        shipper.stop()
    assert publisher.shipped == [f"car-{n}" for n in range(5)]
    assert Recorder.made == [("catching up with Forge", 5, "writes")]
    assert Recorder.counts == [1, 2, 3, 4, 5] and Recorder.closed == 1


def test_no_backlog_no_progress() -> None:
    made: list[Any] = []
    shipper = OutboxShipper(Backlog(0), Publisher(), lambda *args: made.append(args))  # type: ignore[arg-type]
    shipper.start()
    shipper.stop()
    assert made == []
