"""The peewee registry: bucket roots with compare-and-swap, history, block locations, uploads."""

from moto_forge.registry.listing import ListingChanges, ListingEntry
from moto_forge.registry.records import (
    BlobRecord,
    BlockLocation,
    BucketRecord,
    CompletedUploadRecord,
    OutboxEntry,
    PartRecord,
    RootRecord,
    RootStep,
    SharedBlocks,
    UploadRecord,
    default_url,
)
from moto_forge.registry.registry import Registry

__all__ = [
    "BlobRecord",
    "BlockLocation",
    "BucketRecord",
    "CompletedUploadRecord",
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
