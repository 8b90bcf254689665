"""The blob store of ``serve --forge --forge-no-cache``: an instance that keeps no blocks.

A write places its CAR and index as any blob store does (they are hashed, published to
Forge and committed from those files), and the bucket service drops them once the write
has committed (:meth:`UncachedBlobStore.drop`).  Every read is a ranged read from Forge
(``read_range``: the blob's location, remembered for a while, then an HTTP ``Range``
GET), never kept, and :attr:`remote` tells the block store to check every block against
its CID.  So read-after-write holds across instances by construction: every instance
reads the same bytes from the same place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from moto_forge.blocks.blobstore import LocalBlobStore


class UncachedBlobStore(LocalBlobStore):
    """A :class:`LocalBlobStore` whose reads all come from Forge (the module doc)."""

    remote = True

    def __init__(self, root: str, read_range: Callable[[str, int, int], bytes], *, durable: bool = True) -> None:
        super().__init__(root, None, durable=durable)
        self.read_range = read_range

    def read(self, name: str, offset: int, length: int) -> bytes:
        """``length`` bytes of blob ``name`` at ``offset``, from Forge (unchecked here: the
        block store checks each block against its CID; Forge's failures raise
        :class:`~moto_forge.errors.BlobUnavailableError`)."""
        return self.read_range(name, offset, length)

    def drop(self, names: Iterable[str]) -> None:
        """Delete the local files of committed blobs (Forge has them)."""
        for name in names:
            self.delete(name)
