"""peewee models of the registry schema (its versions: ``migrations.py``).

The registry holds what content addressing cannot: which root is current
for each bucket, the history of roots, where every block sits in which blob,
and multipart uploads in progress.  Everything else is in the blobs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import peewee


class Models(NamedTuple):
    """The registry's tables, bound to one database."""

    SchemaVersion: Any
    Bucket: Any
    RootHistory: Any
    Blob: Any
    Block: Any
    Upload: Any
    UploadPart: Any
    Outbox: Any
    ListingEntry: Any
    GcState: Any
    CompletedUpload: Any
    BlobJournal: Any
    EmbeddedStore: Any
    BlobInline: Any


def define_models(db: peewee.Database) -> Models:
    """Model classes bound to ``db`` (one set per registry, so registries never share state)."""

    class BaseModel(peewee.Model):  # type: ignore[misc]
        class Meta:
            database = db
            legacy_table_names = False

    class SchemaVersion(BaseModel):
        """One row: the schema version migrations have brought the database to."""

        version = peewee.IntegerField()

    class Bucket(BaseModel):
        """A bucket and its current MST root (``root``, a CID string); ``seq`` counts its commits."""

        name = peewee.CharField(max_length=63, primary_key=True)
        root = peewee.CharField(max_length=100)
        seq = peewee.IntegerField(default=0)
        forge_root = peewee.CharField(max_length=100, null=True)
        created = peewee.DoubleField()
        space = peewee.CharField(max_length=200, null=True)
        """The owning tenant's space DID (null: the server's own space, the default tenant)."""
        listed_root = peewee.CharField(max_length=100, null=True)
        """The root the listing index rows describe (None or another root: stale, rebuilt on use)."""

    class RootHistory(BaseModel):
        """Every root a bucket has had: ``seq`` 0 is the empty root at creation."""

        bucket = peewee.CharField(max_length=63)
        seq = peewee.IntegerField()
        root = peewee.CharField(max_length=100)
        time = peewee.DoubleField()
        operation = peewee.CharField(max_length=200)
        actor = peewee.CharField(max_length=200, null=True)
        """Who made the write (v8; ``moto_forge/bucket/actor.py``)."""

        class Meta:
            indexes = ((("bucket", "seq"), True), (("bucket", "root"), False))

    class Blob(BaseModel):
        """A stored blob named by its sha2-256 multihash string: a data CAR (``kind`` car) or the
        index of one (``kind`` index, ``shard`` = the CAR's multihash)."""

        multihash = peewee.CharField(max_length=100, primary_key=True)
        size = peewee.BigIntegerField()
        kind = peewee.CharField(max_length=16)
        root = peewee.CharField(max_length=100, null=True)
        shard = peewee.CharField(max_length=100, null=True, index=True)
        created = peewee.DoubleField()

    class Block(BaseModel):
        """Where a block's bytes are: ``length`` bytes at ``offset`` in blob ``blob``."""

        cid = peewee.BlobField(primary_key=True)
        blob = peewee.CharField(max_length=100, index=True)
        offset = peewee.BigIntegerField()
        length = peewee.IntegerField()
        crc = peewee.BigIntegerField(null=True)
        """CRC32C of the bytes, taken when they were written (v9; see ``blocks/blockstore.py``)."""

    class Upload(BaseModel):
        """A multipart upload in progress; ``meta`` is the JSON of the future object's metadata."""

        upload_id = peewee.CharField(max_length=100, primary_key=True)
        bucket = peewee.CharField(max_length=63, index=True)
        key = peewee.TextField()
        created = peewee.DoubleField()
        meta = peewee.TextField()

    class UploadPart(BaseModel):
        """One uploaded part: its size, ETag (hex MD5), ``fixed-v1`` root and checksums (JSON)."""

        upload_id = peewee.CharField(max_length=100)
        part_number = peewee.IntegerField()
        size = peewee.BigIntegerField()
        etag = peewee.CharField(max_length=64)
        root = peewee.CharField(max_length=100)
        checksums = peewee.TextField(default="{}")
        created = peewee.DoubleField()

        class Meta:
            primary_key = peewee.CompositeKey("upload_id", "part_number")

    class CompletedUpload(BaseModel):
        """A multipart upload completed in the last :data:`COMPLETED_UPLOAD_DAYS` day(s), so a
        repeated CompleteMultipartUpload of the same parts answers as the first did (S3's
        idempotent completion): the ``parts`` it listed (a digest), the ``manifest`` CID and
        ``version_id`` it made."""

        upload_id = peewee.CharField(max_length=100, primary_key=True)
        bucket = peewee.CharField(max_length=63)
        key = peewee.TextField()
        parts = peewee.CharField(max_length=64)
        manifest = peewee.CharField(max_length=100)
        version_id = peewee.CharField(max_length=64, null=True)
        completed = peewee.DoubleField(index=True)

    class Outbox(BaseModel):
        """Writes waiting to be shipped to Forge (async mode), oldest first: a CAR, its index,
        and the bucket root the write produced (``bucket``/``root`` null for multipart parts),
        and the ``space`` it goes to (null: the server's own)."""

        id = peewee.AutoField()
        bucket = peewee.CharField(max_length=63, null=True)
        root = peewee.CharField(max_length=100, null=True)
        car = peewee.CharField(max_length=100)
        index = peewee.CharField(max_length=100)
        created = peewee.DoubleField()
        attempts = peewee.IntegerField(default=0)
        last_error = peewee.TextField(null=True)
        space = peewee.CharField(max_length=200, null=True)
        store = peewee.CharField(max_length=64, null=True)
        """The data dir whose blob files the entry ships (v11; null: written before v11,
        shippable by any): another instance never ships it (it lacks the files)."""

    class ListingEntry(BaseModel):
        """The listing index (registry/listing.py): one row per key of ``bucket`` at its ``listed_root``."""

        bucket = peewee.CharField(max_length=63)
        key = peewee.BlobField()
        manifest = peewee.CharField(max_length=100)
        size = peewee.BigIntegerField()
        etag = peewee.CharField(max_length=80)
        created = peewee.BigIntegerField()
        checksum = peewee.CharField(max_length=16, null=True)
        storage = peewee.CharField(max_length=32, null=True)

        class Meta:
            primary_key = peewee.CompositeKey("bucket", "key")

    class GcState(BaseModel):
        """One row (``id`` 1): the garbage-collection epoch, raised by every gc sweep
        (registry.py, "the gc fence")."""

        id = peewee.IntegerField(primary_key=True)
        epoch = peewee.IntegerField(default=0)

    class BlobJournal(BaseModel):
        """The bytes of a small blob whose file is placed but not yet synced (v10; SQLite only,
        ``moto_forge/blocks/journal.py``): committed with the root swap that records the blob, so
        that one registry commit makes the write durable; deleted once a sync covers the file."""

        id = peewee.AutoField()
        blob = peewee.CharField(max_length=100)
        data = peewee.BlobField()
        created = peewee.DoubleField()

    class BlobInline(BaseModel):
        """The bytes of a small blob that has no file (v13; SQLite only): on the embedded store
        alone, a small write's CAR and index (``moto_forge/blocks/journal.py``), inserted by the
        root swap that records the blob and deleted with its ``blob`` row (gc)."""

        multihash = peewee.CharField(max_length=100, primary_key=True)
        data = peewee.BlobField()

    class EmbeddedStore(BaseModel):
        """One row (``id`` 1) once a server without Forge has used this registry: the data dir
        (``store``, its ``store-id``) holding every blob (v11).  Another data dir without
        Forge is refused: its blob files are not there (``moto_forge/bucket/service.py``)."""

        id = peewee.IntegerField(primary_key=True)
        store = peewee.CharField(max_length=64)
        claimed = peewee.DoubleField()

    return Models(
        SchemaVersion, Bucket, RootHistory, Blob, Block, Upload, UploadPart, Outbox, ListingEntry, GcState,
        CompletedUpload, BlobJournal, EmbeddedStore, BlobInline,
    )  # fmt: skip
