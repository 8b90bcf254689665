"""The ``outbox`` table: writes waiting to be shipped to Forge (async mode), oldest first."""

from __future__ import annotations

import peewee

from moto_forge.ipld.cid import CID
from moto_forge.registry.records import (
    OutboxEntry,
)
from moto_forge.registry.sql import SqlRegistry


class OutboxTable(SqlRegistry):
    """The Forge outbox (moto_forge/forge/outbox.py ships it)."""

    def outbox_blobs(self) -> set[str]:
        """Blobs (CARs and indexes) still waiting in the Forge outbox: gc keeps them."""
        m = self.models
        with self._errors("read outbox"):
            return {name for row in m.Outbox.select(m.Outbox.car, m.Outbox.index) for name in (row.car, row.index)}

    def outbox_next(self) -> OutboxEntry | None:
        """The oldest write not yet in Forge that this data dir holds the files of (its own,
        and entries written before v11; another instance's are its to ship)."""
        m = self.models
        mine = m.Outbox.store.is_null() | (m.Outbox.store == self.store_id)
        with self._errors("read outbox"):
            row = m.Outbox.select().where(mine).order_by(m.Outbox.id).first()
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
