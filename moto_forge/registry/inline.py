"""The ``blob_inline`` table: small blobs of the embedded store, kept in the registry
instead of files (``moto_forge/blocks/journal.py`` says when)."""

from __future__ import annotations

from collections.abc import Sequence

from moto_forge.registry.sql import SqlRegistry


class InlineTable(SqlRegistry):
    """Inline blobs: inserted by the root swap that records them, read by the blob store when
    a blob has no file, deleted with their ``blob`` rows."""

    def _hold_inline(self, entries: Sequence[tuple[str, bytes]]) -> None:
        """Inside a write transaction: keep each ``(blob name, bytes)`` (a name already held
        has the same bytes: names are hashes)."""
        self._insert("blob_inline", "multihash, data", [(name, data) for name, data in entries], ignore=True)

    def _drop_inline(self, car: str) -> None:
        """Inside a write transaction: forget the bytes of blob ``car`` and of its index blobs."""
        p = self.db.param
        self.db.execute_sql(
            f"DELETE FROM blob_inline WHERE multihash = {p} "
            f"OR multihash IN (SELECT multihash FROM blob WHERE shard = {p})",
            (car, car),
        )

    def unplaced_blob(self, name: str) -> bytes | None:
        """The bytes of committed blob ``name`` if the registry holds them (inline, or
        journalled and not yet placed), else ``None``.  Safe on any thread: a connection it
        had to open (a read-ahead thread's) goes back to the pool at once."""
        p = self.db.param
        opened = self.db.is_closed()
        try:
            with self._errors("read a blob kept in the registry"):
                row = self.db.execute_sql(f"SELECT data FROM blob_inline WHERE multihash = {p}", (name,)).fetchone()
                if row is None:
                    row = self.db.execute_sql(
                        f"SELECT data FROM blob_journal WHERE blob = {p} LIMIT 1", (name,)
                    ).fetchone()
        finally:
            if opened:
                self.db.close()
        return None if row is None else bytes(row[0])
