"""The registry's records: plain values its tables return and take (no SQL here)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from moto_forge.ipld.cid import CID
from moto_forge.registry.listing import ListingChanges


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
    actor: str | None = None
    """Who made the write (``moto_forge/bucket/actor.py``); ``None``: not recorded (a local
    command, or a root recorded before registry v8)."""


@dataclass(frozen=True, slots=True)
class BlockLocation:
    cid: CID
    blob: str
    offset: int
    length: int
    crc: int | None = None
    """CRC32C of the block's bytes, computed when this server wrote them (v9; ``None``: a
    location recorded before, whose reads are checked by the CID's hash)."""
    inline: bytes | None = field(default=None, compare=False)
    """The block's bytes as read with its location, when its blob is held inline in the
    registry (``blob_inline``): not checked yet, exactly as a read of a file would be."""


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
    actor: str | None = None
    """Who made the write, for the history row."""


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


COMPLETED_UPLOAD_SECONDS = 24 * 3600
"""How long a completed upload's completion can be repeated (S3 keeps it for a while too)."""


@dataclass(frozen=True, slots=True)
class CompletedUploadRecord:
    """A completed multipart upload: what it listed (``parts``: a digest of the (number,
    ETag) list) and what it made."""

    upload_id: str
    bucket: str
    key: str
    parts: str
    manifest: CID
    version_id: str | None
    completed: float


def default_url(data_dir: str) -> str:
    return "sqlite:///" + os.path.join(os.path.abspath(data_dir), "registry.sqlite3")
