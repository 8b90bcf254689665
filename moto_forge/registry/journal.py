"""The ``blob_journal`` table: the bytes of small blobs whose files are placed but not yet
synced (``moto_forge/blocks/journal.py`` says why and when rows come and go)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from moto_forge.registry.sql import SqlRegistry

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

    def journal_names(self, upto: int) -> list[str]:
        """The blobs journalled in rows up to id ``upto``."""
        p = self.db.param
        with self._errors("read the blob journal"):
            rows = self.db.execute_sql(f"SELECT DISTINCT blob FROM blob_journal WHERE id <= {p}", (upto,)).fetchall()
        return [str(row[0]) for row in rows]

    def journal_entries(self, upto: int) -> Iterator[tuple[str, bytes]]:
        """Every ``(blob name, bytes)`` journalled in rows up to id ``upto``, oldest first."""
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
                yield str(name), bytes(data)

    def forget_journal(self, upto: int) -> int:
        """Delete the journal rows up to id ``upto`` (a sync covers their files); how many went."""
        p = self.db.param
        with self._errors("trim the blob journal"), self._write():
            return int(self.db.execute_sql(f"DELETE FROM blob_journal WHERE id <= {p}", (upto,)).rowcount)

    def has_blob(self, name: str) -> bool:
        """Whether the registry records blob ``name``."""
        p = self.db.param
        with self._errors("read blob"):
            return self.db.execute_sql(f"SELECT 1 FROM blob WHERE multihash = {p}", (name,)).fetchone() is not None
