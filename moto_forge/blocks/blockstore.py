"""Verified block reads: registry location -> blob bytes -> hash check -> cache.

:class:`BlockStore` is the :class:`BlockSource` every read goes through.
It never returns bytes that do not hash to the CID asked for: a corrupted
block raises :class:`BlockHashMismatchError`, an unlocatable or unreadable
one :class:`MissingBlockError`, both naming the CID.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from moto_forge.blocks.blobstore import BlobStore
from moto_forge.errors import MissingBlockError, StorageError
from moto_forge.ipld.cid import CID, DAG_CBOR, IDENTITY
from moto_forge.registry import Registry

DEFAULT_CACHE_BYTES = 64 << 20
"""Structured blocks (MST nodes, manifests, indexes) kept after verification."""


class BlockStore:
    """Reads blocks by CID through the registry and a blob store, verifying each."""

    def __init__(self, registry: Registry, blobs: BlobStore, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.registry = registry
        self.blobs = blobs
        self._cache: OrderedDict[CID, bytes] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = cache_bytes
        self._lock = threading.Lock()

    def get(self, cid: CID) -> bytes:
        if cid.hash_code == IDENTITY:
            return cid.digest
        with self._lock:
            data = self._cache.get(cid)
            if data is not None:
                self._cache.move_to_end(cid)
                return data
        location = self.registry.locate(cid)
        if location is None:
            raise MissingBlockError(cid, "the registry")
        try:
            data = self.blobs.read(location.blob, location.offset, location.length)
        except StorageError as exc:
            raise MissingBlockError(cid, f"blob {location.blob} ({exc})") from exc
        cid.verify(data)
        if cid.codec == DAG_CBOR:
            self._remember(cid, data)
        return data

    def _remember(self, cid: CID, data: bytes) -> None:
        with self._lock:
            if cid in self._cache:
                return
            self._cache[cid] = data
            self._cache_bytes += len(data)
            while self._cache_bytes > self._cache_limit and self._cache:
                _, old = self._cache.popitem(last=False)
                self._cache_bytes -= len(old)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._cache_bytes = 0
