"""The peewee registry: bucket roots with compare-and-swap, history, block locations, uploads."""

from moto_forge.registry.listing import ListingChanges, ListingEntry
from moto_forge.registry.registry import (
    BlobRecord,
    BlockLocation,
    BucketRecord,
    OutboxEntry,
    PartRecord,
    Registry,
    RootRecord,
    RootStep,
    SharedBlocks,
    UploadRecord,
    default_url,
)

__all__ = [
    "BlobRecord",
    "BlockLocation",
    "BucketRecord",
    "ListingChanges",
    "ListingEntry",
    "OutboxEntry",
    "PartRecord",
    "Registry",
    "RootRecord",
    "RootStep",
    "SharedBlocks",
    "UploadRecord",
    "default_url",
]
