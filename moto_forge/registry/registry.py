"""The registry: bucket -> current root with compare-and-swap, root history,
block locations, multipart uploads.  SQLite (WAL) by default, PostgreSQL by URL.

Contract: :meth:`Registry.swap_roots` (and :meth:`Registry.swap_root`, its
one-step form) is the only way a bucket's root changes.  It succeeds only if
the root is still ``expected``, and in the same transaction records one
history row per step, the blobs and block locations each step's root needs,
and (for multipart completion) consumes the uploads.  So a root in the
registry, current or in history, never points at blocks the registry cannot
locate.

The gc fence: every transaction that records blobs or moves a root first reads
the ``gc_state`` epoch (``FOR SHARE`` on PostgreSQL; SQLite serialises writers
anyway), and a gc sweep runs inside :meth:`Registry.gc_fence`, one write
transaction that locks that row and raises the epoch.  So no write commits while
a sweep decides what to delete, and a write that references blocks outside its own CAR
and its bucket's current tree (a copy source, a bucket's new empty root) passes
them as :class:`SharedBlocks` with the epoch it read them at: if a sweep ran since
and any of them lost its location, it fails with :class:`GcEpochChanged` instead
of committing a reference to a deleted blob.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee
from playhouse.db_url import connect

from moto_forge.errors import BlobsSwept, GcEpochChanged, StorageError
from moto_forge.ipld.cid import CID
from moto_forge.registry import listing as listing_index
from moto_forge.registry.listing import ListingChanges, ListingEntry
from moto_forge.registry.migrations import migrate
from moto_forge.registry.models import define_models

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",  # a commit that returned survives power loss too
    "busy_timeout": 60_000,  # writers from other processes wait instead of failing
    "cache_size": -16_000,
}
INSERT_BATCH = 400
POOL = {"max_connections": 64, "stale_timeout": 300, "timeout": 60}
"""Connections are pooled: a thread that is done (an HTTP request) hands its connection
back with :meth:`Registry.release` instead of keeping it open until it is collected."""


def _pooled(url: str) -> str:
    """The pooled form of a registry URL (``sqlite+pool://``, ``postgresql+pool://``)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}+pool{sep}{rest}" if sep and "+" not in scheme else url


@dataclass(frozen=True, slots=True)
class BucketRecord:
    name: str
    root: CID
    seq: int
    created: float
    forge_root: CID | None = None
    listed_root: CID | None = None
    """The root the listing index describes; the index is current when it equals ``root``."""
    space: str | None = None
    """The owning tenant's space DID; ``None``: the server's own space (the default tenant)."""


@dataclass(frozen=True, slots=True)
class RootRecord:
    seq: int
    root: CID
    time: float
    operation: str


@dataclass(frozen=True, slots=True)
class BlockLocation:
    cid: CID
    blob: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class BlobRecord:
    multihash: str
    size: int
    kind: str
    root: CID | None = None
    locations: list[BlockLocation] = field(default_factory=list)
    shard: str | None = None
    """For an index blob: the multihash string of the CAR it indexes."""


@dataclass(frozen=True, slots=True)
class SharedBlocks:
    """Blocks a write references outside its own CAR and its bucket's current tree (a copy's
    source body), read at gc epoch ``epoch`` (:meth:`Registry.gc_epoch`)."""

    epoch: int
    cids: tuple[CID, ...] = ()


@dataclass(frozen=True, slots=True)
class RootStep:
    """One write of a group commit: the root it produces (from the step before it, or
    from the swap's ``expected`` root) and what the registry records with it."""

    root: CID
    operation: str
    blobs: tuple[BlobRecord, ...] = ()
    consume_upload: str | None = None
    listing: ListingChanges | None = None
    shared: SharedBlocks | None = None
    """What this step references beyond its CAR and the tree before it: it commits only if
    no gc sweep ran since, or those blocks are all still located (the gc fence)."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    bucket: str | None
    root: CID | None
    car: str
    index: str
    created: float
    attempts: int
    last_error: str | None
    space: str | None = None
    """The space the write belongs to (``None``: the server's own)."""


@dataclass(frozen=True, slots=True)
class UploadRecord:
    upload_id: str
    bucket: str
    key: str
    created: float
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PartRecord:
    part_number: int
    size: int
    etag: str
    root: CID
    checksums: dict[str, str]
    created: float


def default_url(data_dir: str) -> str:
    return "sqlite:///" + os.path.join(os.path.abspath(data_dir), "registry.sqlite3")


class Registry:
    """One registry database.  Thread-safe: peewee keeps a connection per thread."""

    def __init__(self, url: str, *, durable: bool = True) -> None:
        """``durable=False`` (SQLite only): commits are not fsynced (``synchronous=off``), for a
        throwaway store such as ``mock_forge``'s temporary directory."""
        self.url = url
        self.outbox = False
        """Async Forge mode: every recorded CAR also enters the outbox, in the same transaction."""
        try:
            if url.startswith("sqlite"):
                pragmas = SQLITE_PRAGMAS if durable else {**SQLITE_PRAGMAS, "synchronous": "off"}
                self.db: peewee.Database = connect(_pooled(url), pragmas=pragmas, check_same_thread=False, **POOL)
            else:
                self.db = connect(_pooled(url), **POOL)
        except (peewee.PeeweeException, ValueError, RuntimeError) as exc:
            raise StorageError(f"cannot open registry {self._safe_url()}: {exc}") from exc
        self._sqlite = isinstance(self.db, peewee.SqliteDatabase)
        self.models = define_models(self.db)
        try:
            migrate(self.db, self.models, self._write)
        except peewee.PeeweeException as exc:
            raise StorageError(f"cannot migrate registry {self._safe_url()}: {exc}") from exc

    def _safe_url(self) -> str:
        return self.url.split("@")[-1] if "@" in self.url else self.url

    def _write(self) -> Any:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite so writers queue, not deadlock."""
        return self.db.atomic("IMMEDIATE") if self._sqlite else self.db.atomic()

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

    def outbox_blobs(self) -> set[str]:
        """Blobs (CARs and indexes) still waiting in the Forge outbox: gc keeps them."""
        m = self.models
        with self._errors("read outbox"):
            return {name for row in m.Outbox.select(m.Outbox.car, m.Outbox.index) for name in (row.car, row.index)}

    def release(self) -> None:
        """Give this thread's connection back to the pool (the next query takes one again)."""
        if not self.db.is_closed():
            self.db.close()

    def close(self) -> None:
        self.db.close()
        close_all = getattr(self.db, "close_all", None)
        if close_all is not None:
            close_all()

    # ---- buckets -------------------------------------------------------

    def create_bucket(
        self,
        name: str,
        root: CID,
        operation: str = "CreateBucket",
        empty: bool = False,
        space: str | None = None,
        shared: SharedBlocks | None = None,
    ) -> bool:
        """Create a bucket at ``root`` (history seq 0) owned by ``space``; ``False`` if it exists.
        ``empty`` says ``root`` is the empty tree, so the (empty) listing index is current.
        ``shared``: the blocks ``root`` reaches, as the gc fence checks them."""
        m = self.models
        now = time.time()
        with self._errors("create bucket"), self._write():
            self._fenced([shared])
            if m.Bucket.get_or_none(m.Bucket.name == name) is not None:
                return False
            listed = str(root) if empty else None
            m.Bucket.create(name=name, root=str(root), seq=0, created=now, listed_root=listed, space=space)
            m.ListingEntry.delete().where(m.ListingEntry.bucket == name).execute()
            m.RootHistory.delete().where(m.RootHistory.bucket == name).execute()
            m.RootHistory.create(bucket=name, seq=0, root=str(root), time=now, operation=operation)
        return True

    def get_bucket(self, name: str) -> BucketRecord | None:
        """The bucket's record (hot path of every request: raw SQL on the primary key)."""
        columns = "name, root, seq, created, forge_root, listed_root, space"
        sql = f"SELECT {columns} FROM bucket WHERE name = {self.db.param}"
        with self._errors("read bucket"):
            row = self.db.execute_sql(sql, (name,)).fetchone()
        if row is None:
            return None
        forge, listed = (CID.decode(row[i]) if row[i] else None for i in (4, 5))
        return BucketRecord(row[0], CID.decode(row[1]), int(row[2]), float(row[3]), forge, listed, row[6])

    def list_buckets(self) -> list[BucketRecord]:
        """Every bucket, by name (all tenants: the S3 layer filters by owner)."""
        m = self.models
        with self._errors("list buckets"):
            return [_bucket(row) for row in m.Bucket.select().order_by(m.Bucket.name)]

    def delete_bucket(self, name: str, expected_root: CID) -> bool:
        """Delete the bucket if its root is still ``expected_root``; history goes too."""
        m = self.models
        with self._errors("delete bucket"), self._write():
            n = m.Bucket.delete().where((m.Bucket.name == name) & (m.Bucket.root == str(expected_root))).execute()
            if n:
                m.RootHistory.delete().where(m.RootHistory.bucket == name).execute()
                m.ListingEntry.delete().where(m.ListingEntry.bucket == name).execute()
                for upload in m.Upload.select(m.Upload.upload_id).where(m.Upload.bucket == name):
                    m.UploadPart.delete().where(m.UploadPart.upload_id == upload.upload_id).execute()
                m.Upload.delete().where(m.Upload.bucket == name).execute()
        return bool(n)

    def swap_root(
        self,
        name: str,
        expected: CID,
        new: CID,
        operation: str,
        blobs: Iterable[BlobRecord] = (),
        consume_upload: str | None = None,
        listing: ListingChanges | None = None,
    ) -> int | None:
        """Compare-and-swap the bucket's root to ``new``: :meth:`swap_roots` with one step;
        return the new seq, or ``None`` if it lost."""
        seqs = self.swap_roots(name, expected, [RootStep(new, operation, tuple(blobs), consume_upload, listing)])
        return None if seqs is None else seqs[0]

    def swap_roots(
        self, name: str, expected: CID, steps: Sequence[RootStep], placed: int | None = None
    ) -> list[int] | None:
        """Compare-and-swap the bucket's root from ``expected`` through ``steps`` (each
        step's root is made from the one before) to the last step's root; return each
        step's seq, or ``None`` if it lost.

        On success, for every step in order: a history row, its blobs and their
        block locations, its upload consumed (losing if an upload is already
        gone), and its listing changes applied to the listing index (if the
        index was current and every step has ``listing``; otherwise the index
        goes stale), all in one transaction.  Losing leaves the registry
        untouched.  (Raw SQL: this is every write's hot path.)
        """
        if not steps:
            raise ValueError("swap_roots needs at least one step")
        now = time.time()
        p = self.db.param
        final = str(steps[-1].root)
        keeps_listing = all(step.listing is not None for step in steps)
        listed_if = str(expected) if keeps_listing else ""
        with self._errors("swap root"), self._write() as tx:
            self._fenced([step.shared for step in steps], placed)
            # (Not UPDATE ... RETURNING: SQLite has it only since 3.35, and some
            # still-supported distributions ship older.)
            cursor = self.db.execute_sql(
                f"UPDATE bucket SET root = {p}, seq = seq + {p}, "
                f"listed_root = CASE WHEN listed_root = {p} THEN {p} ELSE listed_root END "
                f"WHERE name = {p} AND root = {p}",
                (final, len(steps), listed_if, final, name, str(expected)),
            )
            if cursor.rowcount != 1:
                return None
            for step in steps:
                if step.consume_upload is None:
                    continue
                gone = self.db.execute_sql(f"DELETE FROM upload WHERE upload_id = {p}", (step.consume_upload,))
                if gone.rowcount != 1:
                    tx.rollback()
                    return None
                self.db.execute_sql(f"DELETE FROM upload_part WHERE upload_id = {p}", (step.consume_upload,))
            seq, listed_root, space = self.db.execute_sql(
                f"SELECT seq, listed_root, space FROM bucket WHERE name = {p}", (name,)
            ).fetchone()
            first = int(seq) - len(steps) + 1
            listing_current = keeps_listing and listed_root == final
            history: list[tuple[object, ...]] = []
            blobs: list[tuple[BlobRecord, CID]] = []
            for n, step in enumerate(steps):
                if listing_current and step.listing is not None:
                    listing_index.apply_changes(self.db, name, step.listing)
                history.append((name, first + n, str(step.root), now, step.operation[:200]))
                blobs.extend((blob, step.root) for blob in step.blobs)
            self._insert("root_history", "bucket, seq, root, time, operation", history)
            self._record_blobs(blobs, now, name, space)
        return [first + n for n in range(len(steps))]

    def listing_entries(
        self, name: str, start: bytes | None = None, inclusive: bool = True
    ) -> Iterator[tuple[bytes, ListingEntry]]:
        """The bucket's listing index from ``start`` in key order (current only if
        ``listed_root`` equals the bucket's root: check :meth:`get_bucket` first)."""
        with self._errors("read the listing index"):
            yield from listing_index.iter_entries(self.db, name, start, inclusive)

    def rebuild_listing(self, name: str, root: CID, entries: list[ListingEntry]) -> bool:
        """Make ``entries`` the bucket's listing index as of ``root``; ``False`` (nothing
        changed) if the bucket is no longer at ``root``."""
        p = self.db.param
        with self._errors("rebuild the listing index"), self._write() as tx:
            cursor = self.db.execute_sql(
                f"UPDATE bucket SET listed_root = {p} WHERE name = {p} AND root = {p}", (str(root), name, str(root))
            )
            if cursor.rowcount != 1:
                tx.rollback()
                return False
            listing_index.replace_all(self.db, name, entries)
        return True

    def mark_listing_stale(self, name: str) -> None:
        """Forget which root the listing index describes (the next listing rebuilds it)."""
        m = self.models
        with self._errors("mark the listing index stale"), self._write():
            m.Bucket.update(listed_root=None).where(m.Bucket.name == name).execute()

    def set_forge_root(self, name: str, root: CID) -> None:
        m = self.models
        with self._errors("set forge root"), self._write():
            m.Bucket.update(forge_root=str(root)).where(m.Bucket.name == name).execute()

    def history(self, name: str) -> list[RootRecord]:
        m = self.models
        with self._errors("read history"):
            rows = m.RootHistory.select().where(m.RootHistory.bucket == name).order_by(m.RootHistory.seq)
            return [RootRecord(r.seq, CID.decode(r.root), r.time, r.operation) for r in rows]

    def has_root(self, name: str, root: CID) -> bool:
        m = self.models
        with self._errors("read history"):
            query = m.RootHistory.select().where((m.RootHistory.bucket == name) & (m.RootHistory.root == str(root)))
            return bool(query.exists())

    # ---- blobs and blocks ----------------------------------------------

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

    def _record_blobs(
        self,
        blobs: Iterable[tuple[BlobRecord, CID | None]],
        now: float,
        bucket: str | None = None,
        space: str | None = None,
    ) -> None:
        """Record each blob (with the root it was stored for) and its block locations, and
        an outbox row for each index blob when Forge shipping is on: one INSERT per table
        for each few hundred rows."""
        outbox_rows: list[tuple[object, ...]] = []
        blob_rows: list[tuple[object, ...]] = []
        block_rows: list[tuple[object, ...]] = []
        for blob, root in blobs:
            if self.outbox and blob.kind == "index" and blob.shard is not None:
                outbox_rows.append((bucket, str(root) if root else None, blob.shard, blob.multihash, now, 0, space))
            blob_rows.append(
                (blob.multihash, blob.size, blob.kind, str(blob.root) if blob.root else None, blob.shard, now)
            )
            block_rows.extend((bytes(loc.cid), loc.blob, loc.offset, loc.length) for loc in blob.locations)
        self._insert("outbox", f"bucket, root, car, {self._quote('index')}, created, attempts, space", outbox_rows)
        self._insert("blob", "multihash, size, kind, root, shard, created", blob_rows, ignore=True)
        self._insert("block", 'cid, blob, "offset", length', block_rows, ignore=True)

    def add_blobs(self, blobs: Iterable[BlobRecord], space: str | None = None, placed: int | None = None) -> None:
        """Record blobs of ``space`` outside any root swap (new buckets, imports); ``placed``:
        the gc epoch read before their files were placed (:class:`BlobsSwept` if it moved)."""
        with self._errors("record blobs"), self._write():
            self._fenced(placed=placed)
            self._record_blobs([(blob, None) for blob in blobs], time.time(), space=space)

    def locate(self, cid: CID) -> BlockLocation | None:
        """Where ``cid``'s bytes are (the hot path of every read: one indexed lookup, raw SQL)."""
        p = self.db.param
        sql = f'SELECT blob, "offset", length FROM block WHERE cid = {p}'
        with self._errors("locate block"):
            row = self.db.execute_sql(sql, (bytes(cid),)).fetchone()
        return BlockLocation(cid, row[0], int(row[1]), int(row[2])) if row else None

    def list_blobs(self) -> list[BlobRecord]:
        m = self.models
        with self._errors("list blobs"):
            return [
                BlobRecord(r.multihash, r.size, r.kind, CID.decode(r.root) if r.root else None, shard=r.shard)
                for r in m.Blob.select().order_by(m.Blob.created)
            ]

    def blocks_in(self, multihash: str) -> list[CID]:
        m = self.models
        with self._errors("list blocks"):
            return [CID.from_bytes(bytes(r.cid)) for r in m.Block.select(m.Block.cid).where(m.Block.blob == multihash)]

    def forget_blob(self, multihash: str) -> None:
        """Drop a blob, its block locations and its index blobs' rows (garbage collection)."""
        m = self.models
        with self._errors("forget blob"), self._write():
            m.Block.delete().where(m.Block.blob == multihash).execute()
            m.Blob.delete().where((m.Blob.multihash == multihash) | (m.Blob.shard == multihash)).execute()

    def prune_history(self, name: str, keep: set[int]) -> int:
        """Delete the bucket's history rows whose seq is not in ``keep``; return how many went."""
        m = self.models
        with self._errors("prune history"), self._write():
            query = m.RootHistory.delete().where((m.RootHistory.bucket == name) & ~(m.RootHistory.seq.in_(keep)))
            return int(query.execute())

    # ---- Forge outbox (async mode) --------------------------------------

    def outbox_next(self) -> OutboxEntry | None:
        """The oldest write not yet in Forge."""
        m = self.models
        with self._errors("read outbox"):
            row = m.Outbox.select().order_by(m.Outbox.id).first()
        if row is None:
            return None
        root = CID.decode(row.root) if row.root else None
        return OutboxEntry(
            row.id, row.bucket, root, row.car, row.index, row.created, row.attempts, row.last_error, row.space
        )

    def outbox_done(self, entry: OutboxEntry) -> None:
        """Drop a shipped write; its bucket's forge root advances to the root it produced."""
        m = self.models
        with self._errors("ship outbox entry"), self._write():
            m.Outbox.delete().where(m.Outbox.id == entry.id).execute()
            if entry.bucket is not None and entry.root is not None:
                m.Bucket.update(forge_root=str(entry.root)).where(m.Bucket.name == entry.bucket).execute()

    def outbox_failed(self, entry: OutboxEntry, error: str) -> None:
        m = self.models
        with self._errors("record outbox failure"), self._write():
            m.Outbox.update(attempts=m.Outbox.attempts + 1, last_error=error[:2000]).where(
                m.Outbox.id == entry.id
            ).execute()

    def outbox_summary(self) -> dict[str, int]:
        """Pending writes per bucket (parts of multipart uploads under ``""``)."""
        m = self.models
        with self._errors("read outbox"):
            rows = m.Outbox.select(m.Outbox.bucket, peewee.fn.COUNT(m.Outbox.id).alias("n")).group_by(m.Outbox.bucket)
            return {(r.bucket or ""): int(r.n) for r in rows}

    # ---- multipart uploads ----------------------------------------------

    def create_upload(self, upload_id: str, bucket: str, key: str, meta: dict[str, Any]) -> None:
        m = self.models
        with self._errors("create upload"), self._write():
            m.Upload.create(upload_id=upload_id, bucket=bucket, key=key, created=time.time(), meta=json.dumps(meta))

    def get_upload(self, upload_id: str) -> UploadRecord | None:
        m = self.models
        with self._errors("read upload"):
            row = m.Upload.get_or_none(m.Upload.upload_id == upload_id)
        return _upload(row) if row else None

    def list_uploads(self, bucket: str) -> list[UploadRecord]:
        m = self.models
        with self._errors("list uploads"):
            rows = m.Upload.select().where(m.Upload.bucket == bucket).order_by(m.Upload.key, m.Upload.created)
            return [_upload(r) for r in rows]

    def put_part(
        self,
        upload_id: str,
        part: PartRecord,
        blobs: Iterable[BlobRecord],
        shared: SharedBlocks | None = None,
        placed: int | None = None,
    ) -> bool:
        """Record (or replace) a part and its blobs; ``False`` if the upload is gone.
        ``shared``: the part's blocks outside ``blobs`` (a copied body), as the gc fence checks
        them; ``placed``: the gc epoch read before the blobs' files were placed."""
        m = self.models
        with self._errors("record part"), self._write():
            self._fenced([shared], placed)
            upload = m.Upload.get_or_none(m.Upload.upload_id == upload_id)
            if upload is None:
                return False
            owner = m.Bucket.get_or_none(m.Bucket.name == upload.bucket)
            self._record_blobs(
                [(blob, None) for blob in blobs], time.time(), space=owner.space if owner is not None else None
            )
            m.UploadPart.delete().where(
                (m.UploadPart.upload_id == upload_id) & (m.UploadPart.part_number == part.part_number)
            ).execute()
            m.UploadPart.insert(
                upload_id=upload_id,
                part_number=part.part_number,
                size=part.size,
                etag=part.etag,
                root=str(part.root),
                checksums=json.dumps(part.checksums),
                created=part.created,
            ).execute()
        return True

    def list_parts(self, upload_id: str) -> list[PartRecord]:
        m = self.models
        with self._errors("list parts"):
            rows = m.UploadPart.select().where(m.UploadPart.upload_id == upload_id).order_by(m.UploadPart.part_number)
            return [
                PartRecord(r.part_number, r.size, r.etag, CID.decode(r.root), json.loads(r.checksums), r.created)
                for r in rows
            ]

    def delete_upload(self, upload_id: str) -> bool:
        m = self.models
        with self._errors("abort upload"), self._write():
            m.UploadPart.delete().where(m.UploadPart.upload_id == upload_id).execute()
            return bool(m.Upload.delete().where(m.Upload.upload_id == upload_id).execute())

    def part_roots(self) -> list[CID]:
        """Roots of every part of every upload in progress (garbage collection keeps them)."""
        m = self.models
        with self._errors("list part roots"):
            return [CID.decode(r.root) for r in m.UploadPart.select(m.UploadPart.root)]


def _bucket(row: Any) -> BucketRecord:
    forge = CID.decode(row.forge_root) if row.forge_root else None
    listed = CID.decode(row.listed_root) if row.listed_root else None
    return BucketRecord(row.name, CID.decode(row.root), row.seq, row.created, forge, listed, row.space)


def _upload(row: Any) -> UploadRecord:
    return UploadRecord(row.upload_id, row.bucket, row.key, row.created, json.loads(row.meta))
