"""Small writes: one durable wait each, and no file made on the request's path.

A write is acknowledged once it is durable.  Its blob files (CAR and index) and its
registry row live in two places, and each needs its own flush: the files' ``syncfs``,
then the registry's commit.  For a small write (its CAR and index at most
:data:`JOURNAL_LIMIT` bytes together) on a durable SQLite registry (on the same disk as
the blobs) the blobs' bytes go into the registry in the very transaction that swaps the
root: that commit's one fsync makes the write durable.  Where they go:

* **Inline, for good** (``blob_inline``), on the embedded store alone (no Forge): no file
  is ever made (``PendingCar.finish(place=False)``, the blobs are *unplaced*).  Reads (in
  any process) find their bytes in the registry when the blob has no file
  (``LocalBlobStore.read``); gc deletes them with their ``blob`` rows.  File creation
  costs more here than the write itself (ext4 allocates an inode per file: 0.5-1 ms under
  load, and most of a small PUT's kernel time), and SQLite keeps small blobs densely.
* **In the journal, until their files are synced** (``blob_journal``), with Forge: the
  files are placed (written, not synced) before the commit, as publishing and shipping
  read them.  In the background a :class:`JournalFlusher` syncs the blob store (one
  ``syncfs`` for every write since the last) and deletes the journal rows it covered, so
  the journal stays small and the sync is paid once per :data:`FLUSH_INTERVAL` under load.

After a power loss a placed file may be missing or torn, while its journal row is not:
:func:`replay_journal`, run whenever a writable store is opened, rewrites (durably) every
journalled blob whose file does not hold exactly the journalled bytes and that the
registry still records (a blob gc has since swept stays gone), then trims the journal.
(Journal rows of unplaced blobs, which schema v12 wrote, are placed by that replay too.)
A crash of the process alone (SIGKILL) loses nothing either way: placed files are in
the kernel's page cache, inline blobs and journal rows are committed.

Safe beside other processes on the same store: a row is visible only once its write has
committed, and a flusher places every unplaced file of the rows up to the newest id it
read before its sync, so that sync covers every file of those rows, whoever wrote them;
replaying a live writer's row finds its file already holding the same bytes.  A reader
that finds neither file nor row looks at the file once more (a flusher placed it and
trimmed the row between its two looks).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import NamedTuple

from moto_forge.blocks.blobstore import LocalBlobStore
from moto_forge.blocks.carfile import StoredCar
from moto_forge.errors import StorageError
from moto_forge.registry import Registry

log = logging.getLogger(__name__)

JOURNAL_LIMIT = 256 << 10
"""A write's blobs (its CAR and index) are kept in the registry (inline or journalled, not
synced before the commit) when their bytes together are at most this; larger writes sync
their files first (their bytes would cost more to write twice than the second wait does)."""

FLUSH_INTERVAL = 0.5
"""Seconds the flusher waits after a commit wakes it, gathering later writes into its sync."""


class Kept(NamedTuple):
    """The blob bytes a commit carries into the registry (the module doc)."""

    journal: list[tuple[str, bytes]]
    """``(name, bytes)`` of placed blobs, until a sync covers their files."""
    inline: list[tuple[str, bytes]]
    """``(name, bytes)`` of unplaced blobs, for good."""


def journal_of(registry: Registry, stored: Sequence[StoredCar]) -> tuple[Kept, bool]:
    """What the commit of ``stored`` (every write of one group commit) carries: the journal
    rows of the placed writes that kept their bytes and the inline blobs of the unplaced
    ones (see ``PendingCar.finish``); and whether the placed files must be synced before
    the commit (a write kept no bytes, or the registry cannot hold them)."""
    kept = Kept([], [])
    if not registry.journaling:
        if any(not car.placed for car in stored):
            raise StorageError("unplaced blobs on a registry that cannot hold them")
        return kept, True
    must_sync = False
    for car in stored:
        if car.contents is None:
            must_sync = True
        else:
            (kept.journal if car.placed else kept.inline).extend(car.contents)
    return kept, must_sync


def _holds(blobs: LocalBlobStore, name: str, data: bytes) -> bool:
    """Whether blob ``name``'s file holds exactly ``data``."""
    try:
        with open(blobs.path(name), "rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def replay_journal(registry: Registry, blobs: LocalBlobStore) -> int:
    """Restore every journalled blob the registry still records whose file lost its bytes
    (or was never placed), make the blob store durable, and trim the journal rows read;
    return how many blobs were restored."""
    if not registry.journaling:
        return 0
    upto = registry.journal_high_water()
    if not upto:
        return 0
    restored = 0
    rows: list[tuple[int, str]] = []
    for row_id, name, data in registry.journal_entries(upto):
        rows.append((row_id, name))
        if not _holds(blobs, name, data) and registry.has_blob(name):
            blobs.place(name, data)
            restored += 1
    blobs.sync(sorted({name for _, name in rows}))
    registry.forget_journal(rows)
    if restored:
        log.warning("restored %d blob(s) from the registry's journal (their files were lost or torn)", restored)
    return restored


def flush_journal(registry: Registry, blobs: LocalBlobStore) -> int:
    """Place the file of every journalled blob that has none, sync the blob store, then
    delete the journal rows the sync covered (exactly those read: ``journal_rows``); how
    many went."""
    upto = registry.journal_high_water()
    if not upto:
        return 0
    rows = registry.journal_rows(upto)
    names = sorted({name for _, name in rows})
    missing = [name for name in names if not blobs.has_file(name)]
    for name, data in registry.journal_data(missing, upto):
        blobs.place(name, data, durable=False)
    blobs.sync(names)
    return registry.forget_journal(rows)


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
