"""Block storage: blob stores (whole CARs), CAR assembly with indexes, verified block reads."""

from moto_forge.blocks.blobstore import BlobStore, LocalBlobStore
from moto_forge.blocks.blockstore import BlockStore
from moto_forge.blocks.carfile import PendingCar, StoredCar

__all__ = ["BlobStore", "BlockStore", "LocalBlobStore", "PendingCar", "StoredCar"]
