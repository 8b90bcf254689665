"""The listing index: a derived, rebuildable table of every key of a bucket's
current root with what ListObjects shows (size, ETag, time, checksum), so a
listing page is one range query instead of one manifest read per key.

Contract: the rows of bucket ``b`` describe exactly the tree at
``bucket.listed_root``.  A commit that knows which keys it changed
(:class:`ListingChanges`) applies them in the same transaction as its
compare-and-swap and moves ``listed_root`` along, but only if the index was
current (``listed_root`` was the old root); anything else leaves the index
stale, and the next listing rebuilds it from the MST.  Keys are stored as
UTF-8 bytes, so both SQLite and PostgreSQL order them as S3 does (bytewise).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

QUERY_BATCH = 1001
"""Rows per query: a full page (1 000 keys) and the one after it that says it is truncated."""
COLUMNS = "key, manifest, size, etag, created, checksum, storage"


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One key as ListObjects shows it: ``manifest`` is its manifest's CID (string form,
    decoded only when needed), ``checksum`` the algorithm name (``CRC32``...) or None."""

    key: str
    manifest: str
    size: int
    etag: str
    created: int
    checksum: str | None = None
    storage: str | None = None
    """The storage class when not STANDARD."""


@dataclass(slots=True)
class ListingChanges:
    """What one commit did to keys: entries written (new or replaced) and keys removed."""

    put: list[ListingEntry] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.put.clear()
        self.removed.clear()


def _row(entry: ListingEntry, bucket: str) -> tuple[object, ...]:
    return (bucket, entry.key.encode("utf-8"), entry.manifest, entry.size, entry.etag, entry.created,
            entry.checksum, entry.storage)  # fmt: skip


def _entry(row: Any) -> ListingEntry:
    return ListingEntry(bytes(row[0]).decode("utf-8"), row[1], int(row[2]), row[3], int(row[4]), row[5], row[6])


def apply_changes(db: Any, bucket: str, changes: ListingChanges) -> None:
    """Apply ``changes`` to ``bucket``'s rows (inside the caller's transaction)."""
    p = db.param
    for key in changes.removed:
        db.execute_sql(f"DELETE FROM listing_entry WHERE bucket = {p} AND key = {p}", (bucket, key.encode("utf-8")))
    for entry in changes.put:
        db.execute_sql(
            f"INSERT INTO listing_entry (bucket, {COLUMNS}) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) "
            "ON CONFLICT (bucket, key) DO UPDATE SET manifest = excluded.manifest, size = excluded.size, "
            "etag = excluded.etag, created = excluded.created, checksum = excluded.checksum, "
            "storage = excluded.storage",
            _row(entry, bucket),
        )


def replace_all(db: Any, bucket: str, entries: list[ListingEntry]) -> None:
    """Replace every row of ``bucket`` (inside the caller's transaction)."""
    p = db.param
    db.execute_sql(f"DELETE FROM listing_entry WHERE bucket = {p}", (bucket,))
    placeholders = ", ".join([p] * 8)
    for start in range(0, len(entries), QUERY_BATCH):
        batch = entries[start : start + QUERY_BATCH]
        values = ", ".join(f"({placeholders})" for _ in batch)
        params = [value for entry in batch for value in _row(entry, bucket)]
        db.execute_sql(f"INSERT INTO listing_entry (bucket, {COLUMNS}) VALUES {values}", params)


def iter_entries(db: Any, bucket: str, start: bytes | None, inclusive: bool) -> Iterator[tuple[bytes, ListingEntry]]:
    """``(key bytes, entry)`` in key order from ``start``, fetched ``QUERY_BATCH`` rows at a time."""
    p = db.param
    bound = start if start is not None else b""
    op = ">=" if inclusive or start is None else ">"
    while True:
        rows = db.execute_sql(
            f"SELECT {COLUMNS} FROM listing_entry WHERE bucket = {p} AND key {op} {p} ORDER BY key LIMIT {QUERY_BATCH}",
            (bucket, bound),
        ).fetchall()
        for row in rows:
            yield bytes(row[0]), _entry(row)
        if len(rows) < QUERY_BATCH:
            return
        bound, op = bytes(rows[-1][0]), ">"
