"""The ``blob`` and ``block`` tables: which blob files the store holds and where each
block's bytes are (and the outbox rows recorded with them in async Forge mode)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable

from moto_forge.ipld.cid import CID
from moto_forge.registry.inline import InlineTable
from moto_forge.registry.records import (
    BlobRecord,
    BlockLocation,
)


class BlobTables(InlineTable):
    """Blobs, their bytes when kept inline, and block locations."""

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
                row = (bucket, str(root) if root else None, blob.shard, blob.multihash, now, 0, space, self.store_id)
                outbox_rows.append(row)
            blob_rows.append(
                (blob.multihash, blob.size, blob.kind, str(blob.root) if blob.root else None, blob.shard, now)
            )
            block_rows.extend((bytes(loc.cid), loc.blob, loc.offset, loc.length, loc.crc) for loc in blob.locations)
        columns = f"bucket, root, car, {self._quote('index')}, created, attempts, space, store"
        self._insert("outbox", columns, outbox_rows)
        self._insert("blob", "multihash, size, kind, root, shard, created", blob_rows, ignore=True)
        self._insert("block", 'cid, blob, "offset", length, crc', block_rows, ignore=True)

    def add_blobs(self, blobs: Iterable[BlobRecord], space: str | None = None, placed: int | None = None) -> None:
        """Record blobs of ``space`` outside any root swap (new buckets, imports); ``placed``:
        the gc epoch read before their files were placed (:class:`BlobsSwept` if it moved)."""
        with self._errors("record blobs"), self._write():
            self._fenced(placed=placed)
            self._record_blobs([(blob, None) for blob in blobs], time.time(), space=space)

    def locate(self, cid: CID) -> BlockLocation | None:
        """Where ``cid``'s bytes are, with the bytes themselves when its blob is held inline
        (the hot path of every read: one indexed lookup, raw SQL)."""
        with self._errors("locate block"):
            row = self.db.execute_sql(self._locate_sql, (bytes(cid),)).fetchone()
        if row is None:
            return None
        inline = None if row[4] is None else bytes(row[4])
        return BlockLocation(cid, row[0], int(row[1]), int(row[2]), row[3], inline)

    @functools.cached_property
    def _locate_sql(self) -> str:
        """:meth:`locate`'s query (only a SQLite registry holds blobs inline:
        ``moto_forge/blocks/journal.py``)."""
        held = 'substr(i.data, k."offset" + 1, k.length)' if self._sqlite else "NULL"
        join = "LEFT JOIN blob_inline i ON i.multihash = k.blob " if self._sqlite else ""
        return f'SELECT k.blob, k."offset", k.length, k.crc, {held} FROM block k {join}WHERE k.cid = {self.db.param}'

    def list_blobs(self) -> list[BlobRecord]:
        m = self.models
        with self._errors("list blobs"):
            return [
                BlobRecord(r.multihash, r.size, r.kind, CID.decode(r.root) if r.root else None, shard=r.shard)
                for r in m.Blob.select().order_by(m.Blob.created)
            ]

    def cars_of_roots(self, roots: Iterable[CID]) -> dict[CID, list[BlobRecord]]:
        """The data CARs stored for each of ``roots`` (the write that produced the root),
        without their block locations; a root with none recorded (gc'd, or made by an
        import or a bucket creation) is absent."""
        wanted = {str(root): root for root in roots}
        found: dict[CID, list[BlobRecord]] = {}
        m = self.models
        names = list(wanted)
        with self._errors("read blobs of roots"):
            for start in range(0, len(names), 500):
                rows = m.Blob.select().where((m.Blob.kind == "car") & m.Blob.root.in_(names[start : start + 500]))
                for r in rows:
                    root = wanted[r.root]
                    found.setdefault(root, []).append(BlobRecord(r.multihash, r.size, r.kind, root))
        return found

    def blocks_in(self, multihash: str) -> list[CID]:
        m = self.models
        with self._errors("list blocks"):
            return [CID.from_bytes(bytes(r.cid)) for r in m.Block.select(m.Block.cid).where(m.Block.blob == multihash)]

    def forget_blob(self, multihash: str) -> None:
        """Drop a blob, its block locations and its index blobs' rows, and their bytes kept
        inline (garbage collection)."""
        m = self.models
        with self._errors("forget blob"), self._write():
            self._drop_inline(multihash)
            m.Block.delete().where(m.Block.blob == multihash).execute()
            m.Blob.delete().where((m.Blob.multihash == multihash) | (m.Blob.shard == multihash)).execute()
