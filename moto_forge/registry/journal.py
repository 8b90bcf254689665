"""The ``blob_journal`` table: the bytes of small blobs whose files are placed but not yet
synced (``moto_forge/blocks/journal.py`` says why and when rows come and go)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from moto_forge.registry.sql import INSERT_BATCH, SqlRegistry

JOURNAL_READ_BATCH = 64
"""Journal rows read per query when replaying (each holds a small blob's bytes)."""


class JournalTable(SqlRegistry):
    """Journal rows: written with a root swap (:meth:`BucketTables.swap_roots`'s ``journal``),
    read back by a replay, deleted once a sync covers their files."""

    def _journal(self, entries: Sequence[tuple[str, bytes]], now: float) -> None:
        """Inside a write transaction: journal each ``(blob name, bytes)``."""
        self._insert("blob_journal", "blob, data, created", [(name, data, now) for name, data in entries])

    def journal_high_water(self) -> int:
        """The newest journal row's id (0: none)."""
        with self._errors("read the blob journal"):
            row = self.db.execute_sql("SELECT MAX(id) FROM blob_journal").fetchone()
        return int(row[0] or 0)

    def journal_rows(self, upto: int) -> list[tuple[int, str]]:
        """Every ``(row id, blob name)`` of the journal up to id ``upto``.  A row is named by
        both: once the journal is empty SQLite may give a later row an id it gave before, so
        a flusher that read row ids deletes exactly those rows, and not a newer one that took
        an old id (:meth:`forget_journal`)."""
        p = self.db.param
        with self._errors("read the blob journal"):
            rows = self.db.execute_sql(f"SELECT id, blob FROM blob_journal WHERE id <= {p}", (upto,)).fetchall()
        return [(int(row_id), str(name)) for row_id, name in rows]

    def journal_names(self, upto: int) -> list[str]:
        """The blobs journalled in rows up to id ``upto``."""
        return sorted({name for _, name in self.journal_rows(upto)})

    def journal_entries(self, upto: int) -> Iterator[tuple[int, str, bytes]]:
        """Every ``(row id, blob name, bytes)`` journalled in rows up to id ``upto``, oldest first."""
        p = self.db.param
        after = 0
        while True:
            with self._errors("read the blob journal"):
                rows = self.db.execute_sql(
                    f"SELECT id, blob, data FROM blob_journal WHERE id > {p} AND id <= {p} ORDER BY id LIMIT {p}",
                    (after, upto, JOURNAL_READ_BATCH),
                ).fetchall()
            if not rows:
                return
            for row_id, name, data in rows:
                after = int(row_id)
                yield after, str(name), bytes(data)

    def journal_data(self, names: Sequence[str], upto: int) -> Iterator[tuple[str, bytes]]:
        """``(blob name, bytes)`` of each of ``names`` journalled in rows up to id ``upto``
        (once each)."""
        p = self.db.param
        wanted = sorted(set(names))
        for i in range(0, len(wanted), JOURNAL_READ_BATCH):
            batch = wanted[i : i + JOURNAL_READ_BATCH]
            with self._errors("read the blob journal"):
                rows = self.db.execute_sql(
                    f"SELECT blob, MAX(data) FROM blob_journal WHERE id <= {p} "
                    f"AND blob IN ({', '.join([p] * len(batch))}) GROUP BY blob",
                    (upto, *batch),
                ).fetchall()
            for name, data in rows:
                yield str(name), bytes(data)

    def forget_journal(self, rows: Sequence[tuple[int, str]]) -> int:
        """Delete exactly the journal rows ``(row id, blob name)`` (a sync covers their files;
        see :meth:`journal_rows`); how many went."""
        p = self.db.param
        gone = 0
        with self._errors("trim the blob journal"), self._write():
            for i in range(0, len(rows), INSERT_BATCH // 2):
                batch = rows[i : i + INSERT_BATCH // 2]
                pairs = ", ".join([f"({p}, {p})"] * len(batch))
                params = [value for row in batch for value in row]
                sql = f"DELETE FROM blob_journal WHERE (id, blob) IN (VALUES {pairs})"
                gone += int(self.db.execute_sql(sql, params).rowcount)
        return gone

    def has_blob(self, name: str) -> bool:
        """Whether the registry records blob ``name``."""
        p = self.db.param
        with self._errors("read blob"):
            return self.db.execute_sql(f"SELECT 1 FROM blob WHERE multihash = {p}", (name,)).fetchone() is not None
