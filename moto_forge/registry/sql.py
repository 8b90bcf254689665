"""One registry database and the SQL every table shares: the pooled connection, migrations,
write transactions, error wrapping, batched inserts, and the gc fence every write
transaction passes first (see :mod:`moto_forge.registry.registry`)."""

from __future__ import annotations

import contextlib
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import peewee
from playhouse.db_url import connect

from moto_forge.errors import BlobsSwept, GcEpochChanged, StorageError
from moto_forge.ipld.cid import CID
from moto_forge.registry.migrations import SCHEMA_VERSION, current_version, migrate
from moto_forge.registry.models import define_models
from moto_forge.registry.records import (
    SharedBlocks,
)
from moto_forge.registry.stamp import ChangeStamp, stamp_beside
from moto_forge.turns import FileTurn

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",  # a commit that returned survives power loss too
    "busy_timeout": 60_000,  # writers from other processes wait instead of failing
    "cache_size": -2_000,
}
"""``cache_size``: 2 MB of pages per connection.  The pool holds up to 64 connections, one
per serving thread, each with a page cache of its own: at 16 MB they held most of a
worker's growth under load (``make bench-peers``: 401 -> 366 MiB of peak RSS).  Pages past
it come from the operating system's page cache, which every process shares."""
OPEN_LOCKED_SECONDS = 60.0
"""How long opening a SQLite registry waits for another process that holds it locked."""
INSERT_BATCH = 400
POOL = {"max_connections": 64, "stale_timeout": 300, "timeout": 60}
"""Connections are pooled: a thread that is done (an HTTP request) hands its connection
back with :meth:`Registry.release` instead of keeping it open until it is collected."""


def _pooled(url: str) -> str:
    """The pooled form of a registry URL (``sqlite+pool://``, ``postgresql+pool://``)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}+pool{sep}{rest}" if sep and "+" not in scheme else url


def _sqlite_path(url: str) -> str:
    """The file a ``sqlite:///PATH`` URL names (``sqlite:////abs`` -> ``/abs``)."""
    return url.split("://", 1)[1][1:]


def _read_only_sqlite(url: str) -> peewee.Database:
    """A read-only connection to the SQLite file ``url`` names (``mode=ro``); where its
    directory cannot be written, so SQLite cannot make the WAL's shared-memory file, the file
    is opened ``immutable`` (no locks: meant for a copy nobody writes)."""
    from playhouse.pool import PooledSqliteDatabase

    path = _sqlite_path(url)
    if not os.path.exists(path):
        folder, name = os.path.split(path)
        raise StorageError(f"no moto_forge store in {folder}: it has no {name}")
    quoted = urllib.parse.quote(path)
    shm = path + "-shm"
    can_share = os.access(os.path.dirname(path) or ".", os.W_OK) or os.access(shm, os.W_OK)
    uri = f"file:{quoted}?mode=ro" if can_share else f"file:{quoted}?immutable=1"
    pragmas = {"busy_timeout": 60_000, "query_only": 1}
    return PooledSqliteDatabase(uri, uri=True, pragmas=pragmas, check_same_thread=False, **POOL)


def _writable_hint(url: str) -> str:
    """Why a SQLite registry cannot be migrated, when its file or folder is not writable."""
    if not url.startswith("sqlite"):
        return ""
    path = _sqlite_path(url)
    folder = os.path.dirname(path) or "."
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f" ({path} is not writable by this user)"
    if not os.access(folder, os.W_OK):
        return f" (its folder {folder} is not writable by this user: SQLite needs to make files beside it)"
    return ""


SCHEMES = frozenset({"sqlite", "postgres", "postgresql", "postgresext"})
"""The registry databases moto_forge supports (peewee's URL schemes for them)."""


def _writer_turn(url: str) -> FileTurn | None:
    """The write turn of SQLite file ``url`` (:mod:`moto_forge.turns`: writers of every
    process queue on it before ``BEGIN IMMEDIATE``, instead of sleeping in SQLite's busy
    handler); ``None`` for an in-memory database, or where no lock file can be made beside
    it (writers then wait in the busy handler)."""
    path = _sqlite_path(url)
    if not path or path.startswith(":memory:") or "mode=memory" in path:
        return None
    turn = FileTurn(path + "-writers")
    try:
        turn.open()
    except OSError:
        return None
    return turn


class SqlRegistry:
    """The database under every registry table.  Thread-safe: peewee keeps a connection per thread."""

    def __init__(
        self,
        url: str,
        *,
        durable: bool = True,
        outbox: bool = False,
        read_only: bool = False,
        store_id: str | None = None,
    ) -> None:
        """``durable=False`` (SQLite only): commits are not fsynced (``synchronous=off``), for a
        throwaway store such as ``mock_forge``'s temporary directory.  ``outbox``: see below.
        ``read_only``: nothing is written, not even a migration (the schema must be current):
        commands that only read, which then work on a data dir they cannot write (a copy
        on a read-only disk, another user's files) and never change a live server's."""
        self.url = url
        self.read_only = read_only
        self._writers: FileTurn | None = None
        self.stamp: ChangeStamp | None = None
        """The SQLite file's change stamp (:mod:`moto_forge.registry.stamp`), where it has
        one: records read between writes may then be kept."""
        self.store_id = store_id
        """The data dir this process's blob files are in (its ``store-id``): the outbox
        entries it writes are its to ship, and no other instance's."""
        self.journaling = False
        """Whether small writes journal their blobs' bytes in the root swap's transaction
        instead of syncing their files first (a durable SQLite registry: it lives on the blob
        store's disk; ``moto_forge/blocks/journal.py``)."""
        self.outbox = outbox
        """Async Forge mode: every recorded CAR also enters the outbox, in the same transaction."""
        scheme = url.split(":", 1)[0].lower()
        if scheme not in SCHEMES:
            raise StorageError(
                f"registry URL scheme {scheme!r} is not supported: use sqlite:////absolute/path.sqlite3 "
                "(sqlite:// then the absolute path) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
            )
        if read_only and url.startswith("sqlite"):
            self.db: peewee.Database = _read_only_sqlite(url)
            self._sqlite = True
            self.models = define_models(self.db)
            self._check_current()
            return
        try:
            if url.startswith("sqlite"):
                pragmas = SQLITE_PRAGMAS if durable else {**SQLITE_PRAGMAS, "synchronous": "off"}
                self.db = connect(_pooled(url), pragmas=pragmas, check_same_thread=False, **POOL)
            else:
                self.db = connect(_pooled(url), **POOL)
        except (peewee.PeeweeException, ValueError, RuntimeError) as exc:
            raise StorageError(f"cannot open registry {self.safe_url}: {exc}") from exc
        self._sqlite = isinstance(self.db, peewee.SqliteDatabase)
        self._writers = _writer_turn(url) if self._sqlite else None
        if self._writers is not None:  # every writer takes the turn: the stamp can count them
            self.stamp = stamp_beside(_sqlite_path(url))
        self.journaling = self._sqlite and durable and not read_only
        self.models = define_models(self.db)
        if read_only:
            self._check_current()
            return
        try:
            self._migrate()
        except peewee.PeeweeException as exc:
            raise StorageError(f"cannot migrate registry {self.safe_url}: {exc}{_writable_hint(url)}") from exc

    def _migrate(self) -> None:
        """:func:`migrate`, waiting while another process has the SQLite file locked: a
        connection's first pragma (``journal_mode``) fails at once, whatever the busy
        timeout, while a starting sibling worker migrates a new registry."""
        deadline = time.monotonic() + OPEN_LOCKED_SECONDS
        while True:
            try:
                migrate(self.db, self.models, self._write)
                return
            except peewee.OperationalError as exc:
                if not self._sqlite or "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                self.db.close()
                time.sleep(0.05)

    def _check_current(self) -> None:
        """A read-only registry must already be at this version's schema (nothing migrates it)."""
        try:
            version = current_version(self.models)
        except peewee.PeeweeException as exc:
            raise StorageError(f"cannot read registry {self.safe_url}: {exc}") from exc
        if version != SCHEMA_VERSION:
            raise StorageError(
                f"registry {self.safe_url} is at schema version {version}, this moto_forge reads {SCHEMA_VERSION}: "
                "open it once with a command that writes (moto-forge serve) where it is writable"
            )

    @property
    def safe_url(self) -> str:
        """The registry URL without its credentials (for messages)."""
        return self.url.split("@")[-1] if "@" in self.url else self.url

    @contextlib.contextmanager
    def _write(self, settled: Callable[[int], None] | None = None) -> Iterator[Any]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite, in this file's write turn
        (:mod:`moto_forge.turns`), so writers queue, not deadlock or sleep; the outermost one
        marked in the change stamp (:mod:`moto_forge.registry.stamp`) from before it begins
        until after it ends.

        ``settled``: called with the stamp's value once this transaction, the outermost,
        has ended without an error (committed, or rolled back by its own body) and the stamp
        is marked ended, still in the write turn; not called for a nested transaction, after
        an error, or without a stamp."""
        if not self._sqlite:
            with self.db.atomic() as tx:
                yield tx
            return
        with self._writers.held() if self._writers else contextlib.nullcontext():
            mark = self.stamp.begin() if self.stamp is not None and not self.db.in_transaction() else None
            committed = False
            try:
                with self.db.atomic("IMMEDIATE") as tx:
                    yield tx
                committed = True
            finally:
                if mark is not None and self.stamp is not None:
                    self.stamp.end(mark)
            if committed and mark is not None and settled is not None:
                settled(mark)

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except peewee.PeeweeException as exc:
            raise StorageError(f"registry {what} failed: {exc}") from exc

    # ---- the gc fence (module doc) -----------------------------------------

    def gc_epoch(self) -> int:
        """The current gc epoch: pass it to a write that references blocks it read now."""
        with self._errors("read gc epoch"):
            row = self.db.execute_sql("SELECT epoch FROM gc_state WHERE id = 1").fetchone()
        return int(row[0])

    def _fenced(self, shared: Sequence[SharedBlocks | None] = (), placed: int | None = None) -> None:
        """Inside a write transaction: wait out a running sweep (its lock), then raise
        :class:`BlobsSwept` if a sweep ran since the write placed its blob files (``placed``:
        the epoch read before it did; the sweep may have deleted a same-named file), and
        :class:`GcEpochChanged` naming (by position) each of ``shared`` that a sweep has
        passed and that lost a block's location to it."""
        lock = "" if self._sqlite else " FOR SHARE"
        epoch = int(self.db.execute_sql(f"SELECT epoch FROM gc_state WHERE id = 1{lock}").fetchone()[0])
        if placed is not None and placed != epoch:
            raise BlobsSwept()
        stale = tuple(
            n for n, s in enumerate(shared) if s is not None and s.epoch != epoch and not self._all_located(s.cids)
        )
        if stale:
            raise GcEpochChanged(stale)

    def _all_located(self, cids: Sequence[CID]) -> bool:
        wanted = list({bytes(cid) for cid in cids})
        p = self.db.param
        for i in range(0, len(wanted), INSERT_BATCH):
            batch = wanted[i : i + INSERT_BATCH]
            sql = f"SELECT COUNT(*) FROM block WHERE cid IN ({', '.join([p] * len(batch))})"
            if int(self.db.execute_sql(sql, batch).fetchone()[0]) != len(batch):
                return False
        return True

    @contextlib.contextmanager
    def gc_fence(self) -> Iterator[int]:
        """One write transaction for a gc sweep: no write commits until it ends, and the
        epoch it yields is one more than any write saw before it."""
        lock = "" if self._sqlite else " FOR UPDATE"
        with self._errors("gc fence"), self._write():
            epoch = int(self.db.execute_sql(f"SELECT epoch FROM gc_state WHERE id = 1{lock}").fetchone()[0]) + 1
            self.db.execute_sql(f"UPDATE gc_state SET epoch = {self.db.param} WHERE id = 1", (epoch,))
            yield epoch

    def claim_embedded(self, store_id: str) -> str | None:
        """Record ``store_id`` as the data dir of this registry's embedded store, unless
        another is recorded: return that other one (``None``: it is ours now, or was)."""
        m = self.models
        with self._errors("claim the embedded store"), self._write():
            row = m.EmbeddedStore.get_or_none(m.EmbeddedStore.id == 1)
            if row is None:
                m.EmbeddedStore.create(id=1, store=store_id, claimed=time.time())
                return None
            return None if row.store == store_id else str(row.store)

    def release(self) -> None:
        """Give this thread's connection back to the pool (the next query takes one again)."""
        if not self.db.is_closed():
            self.db.close()

    def close(self) -> None:
        self.db.close()
        if self.stamp is not None:
            self.stamp.close()
            self.stamp = None
        if self._writers is not None:
            self._writers.close()
        close_all = getattr(self.db, "close_all", None)
        if close_all is not None:
            close_all()

    def _quote(self, name: str) -> str:
        return f'"{name}"'

    def _insert(self, table: str, columns: str, rows: list[tuple[object, ...]], ignore: bool = False) -> None:
        """INSERT rows, a few hundred per statement; with ``ignore``, skipping any whose
        primary key exists (SQLite and PostgreSQL spelling)."""
        if not rows:
            return
        p = self.db.param
        one = "(" + ", ".join([p] * len(rows[0])) + ")"
        for i in range(0, len(rows), INSERT_BATCH):
            batch = rows[i : i + INSERT_BATCH]
            values = ", ".join([one] * len(batch))
            params = [value for row in batch for value in row]
            if not ignore:
                self.db.execute_sql(f"INSERT INTO {table} ({columns}) VALUES {values}", params)
            elif self._sqlite:
                self.db.execute_sql(f"INSERT OR IGNORE INTO {table} ({columns}) VALUES {values}", params)
            else:
                self.db.execute_sql(f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT DO NOTHING", params)
