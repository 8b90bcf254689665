"""Versioned schema migrations.  Each entry brings the schema from version
``n - 1`` to ``n``; they run in order, each in its own transaction, and the
``schema_version`` row records how far a database has come.  Never edit a
released migration: add the next one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peewee

from moto_forge.registry.models import Models


def _v1_initial(db: peewee.Database, m: Models) -> None:
    db.create_tables([m.Bucket, m.RootHistory, m.Blob, m.Block, m.Upload, m.UploadPart], safe=True)


def _v2_outbox(db: peewee.Database, m: Models) -> None:
    db.create_tables([m.Outbox], safe=True)


def _v3_listing_index(db: peewee.Database, m: Models) -> None:
    db.create_tables([m.ListingEntry], safe=True)
    if "listed_root" not in {c.name for c in db.get_columns("bucket")}:  # v1 made from older models
        db.execute_sql("ALTER TABLE bucket ADD COLUMN listed_root VARCHAR(100)")


def _v4_outbox_space(db: peewee.Database, m: Models) -> None:
    if "space" not in {c.name for c in db.get_columns("outbox")}:  # v2 made from older models
        db.execute_sql("ALTER TABLE outbox ADD COLUMN space VARCHAR(200)")


def _v5_gc_state(db: peewee.Database, m: Models) -> None:
    db.create_tables([m.GcState], safe=True)
    if m.GcState.get_or_none(m.GcState.id == 1) is None:
        m.GcState.create(id=1, epoch=0)


def _v6_listing_storage(db: peewee.Database, m: Models) -> None:
    if "storage" not in {c.name for c in db.get_columns("listing_entry")}:  # v3 made from older models
        db.execute_sql("ALTER TABLE listing_entry ADD COLUMN storage VARCHAR(32)")


def _v7_completed_upload(db: peewee.Database, m: Models) -> None:
    db.create_tables([m.CompletedUpload], safe=True)


def _v8_history_actor(db: peewee.Database, m: Models) -> None:
    if "actor" not in {c.name for c in db.get_columns("root_history")}:  # v1 made from older models
        db.execute_sql("ALTER TABLE root_history ADD COLUMN actor VARCHAR(200)")


def _v9_block_crc(db: peewee.Database, m: Models) -> None:
    if "crc" not in {c.name for c in db.get_columns("block")}:  # v1 made from older models
        db.execute_sql("ALTER TABLE block ADD COLUMN crc BIGINT")


def _v10_blob_journal(db: peewee.Database, m: Models) -> None:
    db.create_tables([m.BlobJournal], safe=True)


def _v11_instances(db: peewee.Database, m: Models) -> None:
    db.create_tables([m.EmbeddedStore], safe=True)
    if "store" not in {c.name for c in db.get_columns("outbox")}:
        db.execute_sql("ALTER TABLE outbox ADD COLUMN store VARCHAR(64)")


def _v12_journal_by_blob(db: peewee.Database, m: Models) -> None:
    """Reads look a blob up in the journal by name (a committed blob not yet placed)."""
    db.execute_sql("CREATE INDEX IF NOT EXISTS blob_journal_blob ON blob_journal (blob)")


def _v13_inline_blobs(db: peewee.Database, m: Models) -> None:
    """Small blobs of the embedded store live in the registry, never as files."""
    db.create_tables([m.BlobInline], safe=True)


MIGRATIONS: list[Callable[[peewee.Database, Models], None]] = [
    _v1_initial, _v2_outbox, _v3_listing_index, _v4_outbox_space, _v5_gc_state, _v6_listing_storage,
    _v7_completed_upload, _v8_history_actor, _v9_block_crc, _v10_blob_journal,
    _v11_instances, _v12_journal_by_blob, _v13_inline_blobs,
]  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(m: Models) -> int:
    row = m.SchemaVersion.select().first()
    return int(row.version) if row else 0


def migrate(db: peewee.Database, m: Models, begin: Callable[[], Any]) -> int:
    """Apply pending migrations; return the version reached.

    ``begin`` opens a write transaction that serialises concurrent migrators
    (``BEGIN IMMEDIATE`` on SQLite, a table lock on PostgreSQL).
    """
    db.create_tables([m.SchemaVersion], safe=True)
    while True:
        with begin():
            if isinstance(db, peewee.PostgresqlDatabase):
                db.execute_sql("LOCK TABLE schema_version IN EXCLUSIVE MODE")
            version = current_version(m)
            if version >= SCHEMA_VERSION:
                return version
            MIGRATIONS[version](db, m)
            if version == 0:
                m.SchemaVersion.create(version=1)
            else:
                m.SchemaVersion.update(version=version + 1).execute()
