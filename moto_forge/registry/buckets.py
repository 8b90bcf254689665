"""The ``bucket``, ``root_history`` and ``listing_entry`` tables: each bucket's current root
(moved only by compare-and-swap), its history, and its listing index."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import peewee

from moto_forge.cache import BoundedCache
from moto_forge.ipld.cid import CID
from moto_forge.registry import listing as listing_index
from moto_forge.registry.blobs import BlobTables
from moto_forge.registry.journal import JournalTable
from moto_forge.registry.listing import ListingChanges, ListingEntry
from moto_forge.registry.records import (
    BlobRecord,
    BucketRecord,
    RootRecord,
    RootStep,
    SharedBlocks,
)

RECORD_CACHE_SIZE = 1024
"""Bucket records a process keeps between writes (:meth:`BucketTables.get_bucket`)."""

_COLUMNS = "name, root, seq, created, forge_root, listed_root, space"
"""A bucket row's columns, in the order :func:`_record_of` reads them."""


def _record_of(row: Sequence[Any], known: CID | None = None) -> BucketRecord:
    """The record of a row of :data:`_COLUMNS`; a column holding ``known``'s string is
    ``known`` itself (a swap knows the root it wrote: no string decoded again)."""
    text = str(known) if known is not None else None

    def cid(value: str) -> CID:
        return known if value == text and known is not None else CID.decode(value)

    forge, listed = (cid(row[i]) if row[i] else None for i in (4, 5))
    return BucketRecord(row[0], cid(row[1]), int(row[2]), float(row[3]), forge, listed, row[6])


class BucketTables(BlobTables, JournalTable):
    """Buckets, their roots and history, and the listing index."""

    def create_bucket(
        self,
        name: str,
        root: CID,
        operation: str = "CreateBucket",
        empty: bool = False,
        space: str | None = None,
        shared: SharedBlocks | None = None,
        actor: str | None = None,
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
            m.RootHistory.create(bucket=name, seq=0, root=str(root), time=now, operation=operation,
                                 actor=actor[:200] if actor is not None else None)  # fmt: skip
        return True

    @functools.cached_property
    def _records(self) -> BoundedCache[str, tuple[int, BucketRecord | None]]:
        """Bucket records (or their absence) by name, each with the change stamp it was read
        at (:mod:`moto_forge.registry.stamp`)."""
        return BoundedCache(RECORD_CACHE_SIZE)

    def get_bucket(self, name: str) -> BucketRecord | None:
        """The bucket's record (hot path of every request): as of the last write that
        finished before this call, from memory when no write has begun or ended since it was
        last read here (a SQLite registry's change stamp); else one query on the primary
        key.  A compare-and-swap never relies on it (:meth:`get_bucket_at_epoch`)."""
        stamp = self.stamp
        seen = stamp.settled() if stamp is not None else None
        if seen is not None:
            kept = self._records.get(name)
            if kept is not None and kept[0] == seen:
                return kept[1]
        record = self._read_bucket(name)
        if seen is not None and stamp is not None and stamp.settled() == seen:
            self._records.put(name, (seen, record))
        return record

    def _read_bucket(self, name: str) -> BucketRecord | None:
        sql = f"SELECT {_COLUMNS} FROM bucket WHERE name = {self.db.param}"
        with self._errors("read bucket"):
            row = self.db.execute_sql(sql, (name,)).fetchone()
        return None if row is None else _record_of(row)

    @functools.cached_property
    def _swap_returning(self) -> str:
        """The root swap's ``RETURNING`` clause (the bucket's row after the swap, in the same
        statement), or ``""`` where the database lacks it (SQLite before 3.35: a second
        SELECT in the same transaction reads it instead)."""
        if self._sqlite and peewee.sqlite3.sqlite_version_info < (3, 35, 0):
            return ""
        return f" RETURNING {_COLUMNS}"

    def get_bucket_at_epoch(self, name: str) -> tuple[BucketRecord | None, int]:
        """The bucket's record and the current gc epoch, read together (one statement: a
        group commit's first read, :meth:`gc_epoch` then :meth:`get_bucket` in one)."""
        p = self.db.param
        sql = f"SELECT epoch, {_COLUMNS} FROM gc_state LEFT JOIN bucket ON bucket.name = {p} WHERE gc_state.id = 1"
        with self._errors("read bucket and gc epoch"):
            row = self.db.execute_sql(sql, (name,)).fetchone()
        return (None if row[1] is None else _record_of(row[1:])), int(row[0])

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
        self,
        name: str,
        expected: CID,
        steps: Sequence[RootStep],
        placed: int | None = None,
        journal: Sequence[tuple[str, bytes]] = (),
        inline: Sequence[tuple[str, bytes]] = (),
    ) -> list[int] | None:
        """Compare-and-swap the bucket's root from ``expected`` through ``steps`` (each
        step's root is made from the one before) to the last step's root; return each
        step's seq, or ``None`` if it lost.

        On success, for every step in order: a history row, its blobs and their
        block locations, its upload consumed (losing if an upload is already
        gone), and its listing changes applied to the listing index (if the
        index was current and every step has ``listing``; otherwise the index
        goes stale), all in one transaction, with ``journal``'s blob bytes and the
        bytes of the ``inline`` blobs (:mod:`moto_forge.blocks.journal`).  Losing leaves the registry
        untouched.  (Raw SQL: this is every write's hot path.)
        """
        if not steps:
            raise ValueError("swap_roots needs at least one step")
        now = time.time()
        p = self.db.param
        final = str(steps[-1].root)
        keeps_listing = all(step.listing is not None for step in steps)
        listed_if = str(expected) if keeps_listing else ""
        after: list[BucketRecord] = []  # the bucket's record once every statement below ran
        with self._errors("swap root"), self._write(lambda mark: self._keep_record(name, mark, after)) as tx:
            self._fenced([step.shared for step in steps], placed)
            cursor = self.db.execute_sql(
                f"UPDATE bucket SET root = {p}, seq = seq + {p}, "
                f"listed_root = CASE WHEN listed_root = {p} THEN {p} ELSE listed_root END "
                f"WHERE name = {p} AND root = {p}{self._swap_returning}",
                (final, len(steps), listed_if, final, name, str(expected)),
            )
            if self._swap_returning:  # the new row, or none: the swap lost
                rows = cursor.fetchall()
                if len(rows) != 1:
                    return None
                row = rows[0]
            else:
                if cursor.rowcount != 1:
                    return None
                row = self.db.execute_sql(f"SELECT {_COLUMNS} FROM bucket WHERE name = {p}", (name,)).fetchone()
            record = _record_of(row, steps[-1].root)
            seq, listed_root, space = record.seq, row[5], record.space
            for step in steps:
                if step.consume_upload is None:
                    continue
                gone = self.db.execute_sql(f"DELETE FROM upload WHERE upload_id = {p}", (step.consume_upload,))
                if gone.rowcount != 1:
                    tx.rollback()
                    return None
                self.db.execute_sql(f"DELETE FROM upload_part WHERE upload_id = {p}", (step.consume_upload,))
            first = int(seq) - len(steps) + 1
            listing_current = keeps_listing and listed_root == final
            history: list[tuple[object, ...]] = []
            blobs: list[tuple[BlobRecord, CID]] = []
            for n, step in enumerate(steps):
                if listing_current and step.listing is not None:
                    listing_index.apply_changes(self.db, name, step.listing)
                actor = step.actor[:200] if step.actor is not None else None
                history.append((name, first + n, str(step.root), now, step.operation[:200], actor))
                blobs.extend((blob, step.root) for blob in step.blobs)
            self._insert("root_history", "bucket, seq, root, time, operation, actor", history)
            self._record_blobs(blobs, now, name, space)
            self._journal(journal, now)
            self._hold_inline(inline)
            after.append(record)
        return [first + n for n in range(len(steps))]

    def _keep_record(self, name: str, mark: int, after: list[BucketRecord]) -> None:
        """After a swap committed as the write the change stamp marks ``mark``: keep the
        bucket's record as it left it (``after``), so this process's next request reads it
        from memory for as long as no other write begins (:meth:`get_bucket`)."""
        if after:
            self._records.put(name, (mark, after[0]))

    def listing_entries(
        self, name: str, start: bytes | None = None, inclusive: bool = True
    ) -> Iterator[tuple[bytes, ListingEntry]]:
        """The bucket's listing index from ``start`` in key order (current only if
        ``listed_root`` equals the bucket's root: check :meth:`get_bucket` first)."""
        with self._errors("read the listing index"):
            yield from listing_index.iter_entries(self.db, name, start, inclusive)

    def listing_totals(self, name: str) -> tuple[int, int]:
        """``(keys, bytes)`` of the bucket's listing index (current only if ``listed_root``
        equals the bucket's root, as :meth:`listing_entries`)."""
        p = self.db.param
        with self._errors("count the listing index"):
            row = self.db.execute_sql(
                f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM listing_entry WHERE bucket = {p}", (name,)
            ).fetchone()
        return int(row[0]), int(row[1])

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
            return [RootRecord(r.seq, CID.decode(r.root), r.time, r.operation, r.actor) for r in rows]

    def has_root(self, name: str, root: CID) -> bool:
        m = self.models
        with self._errors("read history"):
            query = m.RootHistory.select().where((m.RootHistory.bucket == name) & (m.RootHistory.root == str(root)))
            return bool(query.exists())

    def prune_history(self, name: str, keep: set[int]) -> int:
        """Delete the bucket's history rows whose seq is not in ``keep``; return how many went."""
        m = self.models
        with self._errors("prune history"), self._write():
            query = m.RootHistory.delete().where((m.RootHistory.bucket == name) & ~(m.RootHistory.seq.in_(keep)))
            return int(query.execute())


def _bucket(row: Any) -> BucketRecord:
    forge = CID.decode(row.forge_root) if row.forge_root else None
    listed = CID.decode(row.listed_root) if row.listed_root else None
    return BucketRecord(row.name, CID.decode(row.root), row.seq, row.created, forge, listed, row.space)
