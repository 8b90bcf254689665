"""The blob journal: one durable wait per small write instead of two.

A write is acknowledged once it is durable.  Its blob files (CAR and index) and its
registry row live in two places, and each needs its own flush: the files' ``syncfs``,
then the registry's commit.  For a small write (its blobs at most :data:`JOURNAL_LIMIT`
bytes together) on a durable SQLite registry (on the same disk as the blobs) the files
are only *placed* (written, not synced) and their bytes go into the registry's
``blob_journal`` table in the very transaction that swaps the root: that commit's one
fsync makes the write durable, files and all.

Afterwards, in the background, a :class:`JournalFlusher` syncs the blob store (one
``syncfs`` for every write since the last) and deletes the journal rows it covered: the
journal stays small, and the flush is paid once per :data:`FLUSH_INTERVAL` under load
instead of once per write.

After a power loss a placed file may be missing or torn, while its journal row is not:
:func:`replay_journal`, run whenever a writable store is opened, rewrites (durably) every
journalled blob whose file does not hold exactly the journalled bytes and that the
registry still records (a blob gc has since swept stays gone), then trims the journal.
A crash of the process alone (SIGKILL) loses nothing either way: placed files are in
the kernel's page cache.

Safe beside other processes on the same store: a row is visible only once its write has
committed, and its files were placed before that, so a sync that starts after a flusher
reads the newest row id covers every file of the rows up to it, whoever wrote them;
replaying a live writer's row finds its file already holding the same bytes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Sequence

from moto_forge.blocks.blobstore import LocalBlobStore, write_all
from moto_forge.blocks.carfile import StoredCar
from moto_forge.errors import StorageError
from moto_forge.registry import Registry

log = logging.getLogger(__name__)

JOURNAL_LIMIT = 256 << 10
"""A group commit's blobs are journalled (not synced before the commit) when their bytes
together are at most this; larger writes sync their files first, as before (their bytes
would cost more to write twice than the second wait does)."""

FLUSH_INTERVAL = 0.5
"""Seconds the flusher waits after a commit wakes it, gathering later writes into its sync."""


def journal_of(registry: Registry, stored: Sequence[StoredCar]) -> list[tuple[str, bytes]] | None:
    """The journal rows for ``stored`` (every write of one group commit), or ``None`` when
    they must be synced instead: the registry does not journal, a write kept no bytes, or
    together they exceed :data:`JOURNAL_LIMIT`."""
    if not registry.journaling:
        return None
    rows: list[tuple[str, bytes]] = []
    for car in stored:
        if car.contents is None:
            return None
        rows.extend(car.contents)
    return rows if sum(len(data) for _, data in rows) <= JOURNAL_LIMIT else None


def _holds(blobs: LocalBlobStore, name: str, data: bytes) -> bool:
    """Whether blob ``name``'s file holds exactly ``data``."""
    try:
        with open(blobs.path(name), "rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def _rewrite(blobs: LocalBlobStore, name: str, data: bytes) -> None:
    """Store ``data`` as blob ``name`` durably, replacing whatever file is there."""
    fd, path = blobs.new_temp()
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        blobs.put_file(path, name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise StorageError(f"cannot restore blob {name} from the journal: {exc.strerror}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def replay_journal(registry: Registry, blobs: LocalBlobStore) -> int:
    """Restore every journalled blob the registry still records whose file lost its bytes,
    make the blob store durable, and trim the journal; return how many blobs were restored."""
    if not registry.journaling:
        return 0
    upto = registry.journal_high_water()
    if not upto:
        return 0
    restored = 0
    for name, data in registry.journal_entries(upto):
        if not _holds(blobs, name, data) and registry.has_blob(name):
            _rewrite(blobs, name, data)
            restored += 1
    blobs.sync(registry.journal_names(upto))
    registry.forget_journal(upto)
    if restored:
        log.warning("restored %d blob(s) from the registry's journal (their files were lost or torn)", restored)
    return restored


def flush_journal(registry: Registry, blobs: LocalBlobStore) -> int:
    """Sync the blob store, then delete the journal rows the sync covered; how many went."""
    upto = registry.journal_high_water()
    if not upto:
        return 0
    blobs.sync(registry.journal_names(upto))
    return registry.forget_journal(upto)


class JournalFlusher:
    """A thread that flushes the journal (:func:`flush_journal`) :data:`FLUSH_INTERVAL`
    after a commit wakes it, and once more when stopped."""

    def __init__(self, registry: Registry, blobs: LocalBlobStore, interval: float = FLUSH_INTERVAL) -> None:
        self.registry = registry
        self.blobs = blobs
        self.interval = interval
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="blob-journal", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.wake.wait()
            self._stop.wait(self.interval)
            self.wake.clear()
            self._flush()

    def _flush(self) -> None:
        try:
            flush_journal(self.registry, self.blobs)
        except StorageError as exc:  # the rows stay: the next flush, or a replay, covers them
            log.warning("could not flush the blob journal: %s", exc)
        finally:
            self.registry.release()

    def stop(self) -> None:
        """Stop the thread after one last flush (a clean shutdown leaves the journal empty)."""
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=30)
