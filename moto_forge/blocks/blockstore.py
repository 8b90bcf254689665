"""Checked block reads: registry location -> blob bytes -> check -> cache.

:class:`BlockStore` is the :class:`BlockSource` every read goes through.  What it
checks, exactly:

- A block this server wrote has its CRC32C in the registry (``block.crc``, taken from the
  very bytes hashed into its CID when the write made it): a read from a blob on local
  disk checks those bytes against it (hardware CRC32C, tens of GB/s, where SHA-256
  manages one or two), so a large GET is bounded by memory, not by hashing.  The CRC
  catches what damages files at rest (bit rot, torn or overwritten sectors, a wrong
  offset), not a forger who rewrites the file and the registry row alike.
- Every other block is checked against its CID's SHA-256: a location recorded without a
  CRC (before registry v9), every block of a blob fetched from Forge or any network
  by this process (``BlobStore.fetched``; the fetcher also checks the whole blob against
  its name), and every block of a store whose reads all come from Forge
  (``BlobStore.remote``: ``blocks/uncached.py``, ranged reads of a blob).
- ``hash_local=True`` (:meth:`verifying_cids`, what ``fsck`` reads through) checks every
  block against its CID, whatever the registry holds.

Blocks that passed their check are kept in memory, each in a byte-bounded cache: structured
blocks (DAG-CBOR: MST nodes, manifests, indexes) and small raw blocks (body chunks of at
most :data:`SMALL_RAW_BYTES`).  A CID names its bytes for good, so a kept block is served
without the registry or the disk; ``fsck`` reads through a store that keeps nothing.

It never returns bytes that fail their check: a corrupted block raises
:class:`BlockHashMismatchError`, an unlocatable or unreadable one
:class:`MissingBlockError`, both naming the CID.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from awscrt.checksums import crc32c

from moto_forge.blocks.blobstore import BlobStore
from moto_forge.errors import BlockHashMismatchError, MissingBlockError, StorageError
from moto_forge.ipld.cid import CID, DAG_CBOR, IDENTITY
from moto_forge.registry import BlockLocation, Registry

DEFAULT_CACHE_BYTES = 64 << 20
"""Structured blocks (MST nodes, manifests, indexes) kept after verification."""

SMALL_RAW_BYTES = 64 << 10
"""Raw blocks (body chunks) of at most this many bytes are kept too, in a cache of their own
(the bodies of small objects: a GET of a hot one then needs no registry lookup)."""

DEFAULT_RAW_CACHE_BYTES = 8 << 20
"""The small raw blocks' cache, per process (bounded apart from the structured blocks', so
bodies never push MST nodes out)."""

READ_AHEAD = 3
"""Blocks :meth:`BlockStore.get_many` reads and verifies ahead of the one it hands out."""

READ_AHEAD_THREADS = 2
"""Threads verifying those blocks: each chunk's SHA-256 is independent, and one thread
hashing alone was the bound of a large GET (two: ~10% faster on 2 cores)."""


class BlockStore:
    """Reads blocks by CID through the registry and a blob store, verifying each."""

    def __init__(
        self,
        registry: Registry,
        blobs: BlobStore,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        *,
        hash_local: bool = False,
        raw_cache_bytes: int = DEFAULT_RAW_CACHE_BYTES,
    ) -> None:
        self.registry = registry
        self.blobs = blobs
        self.hash_local = hash_local
        self._structured = _ByteBoundedCache(cache_bytes)
        self._small_raw = _ByteBoundedCache(raw_cache_bytes)

    def get(self, cid: CID) -> bytes:
        if cid.hash_code == IDENTITY:
            return cid.digest
        cache = self._structured if cid.codec == DAG_CBOR else self._small_raw
        data = cache.get(cid)
        if data is not None:
            return data
        data = self.read_located(self.locate(cid))
        if cid.codec == DAG_CBOR or len(data) <= SMALL_RAW_BYTES:
            cache.put(cid, data)
        return data

    def get_many(self, cids: Iterable[CID]) -> Iterator[bytes]:
        """The blocks ``cids``, in order, each verified, the next :data:`READ_AHEAD` read and
        verified on :data:`READ_AHEAD_THREADS` threads while the caller uses this one (a
        body's chunks are hashed while the previous one is sent).  Registry lookups stay
        on the calling thread.  At most ``READ_AHEAD + 1`` blocks are held; closing the
        iterator early waits for the reads in flight only."""
        it = iter(cids)
        first = next(it, None)
        if first is None:
            return
        second = next(it, None)
        if second is None:
            yield self.get(first)  # one block: no thread
            return
        pool = ThreadPoolExecutor(max_workers=READ_AHEAD_THREADS, thread_name_prefix="read-ahead")
        pending: deque[Future[bytes]] = deque()
        try:
            for cid in (first, second):
                pending.append(self._submit(pool, cid))
            for cid in it:
                pending.append(self._submit(pool, cid))
                if len(pending) > READ_AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, pool: ThreadPoolExecutor, cid: CID) -> Future[bytes]:
        known = cid.digest if cid.hash_code == IDENTITY else self._small_raw.get(cid)
        if known is not None:
            done: Future[bytes] = Future()
            done.set_result(known)
            return done
        return pool.submit(self.read_located, self.locate(cid))

    def locate(self, cid: CID) -> BlockLocation:
        """Where the registry says ``cid``'s bytes are (:class:`MissingBlockError` if nowhere)."""
        location = self.registry.locate(cid)
        if location is None:
            raise MissingBlockError(cid, "the registry")
        return location

    def read_located(self, location: BlockLocation) -> bytes:
        """The block at ``location``, checked (the module doc; no cache, no registry: safe
        on any thread, e.g. to read ahead of a body being sent)."""
        cid = location.cid
        data = location.inline
        if data is None:
            try:
                data = self.blobs.read(location.blob, location.offset, location.length)
            except StorageError as exc:
                raise MissingBlockError(cid, f"blob {location.blob} ({exc})") from exc
        elif len(data) != location.length:
            raise MissingBlockError(cid, f"blob {location.blob} is truncated (held inline in the registry)")
        if location.crc is None or self.hash_local or self.blobs.remote or location.blob in self.blobs.fetched:
            cid.verify(data)
        elif crc32c(data) != location.crc:
            raise BlockHashMismatchError(cid, f"its bytes in blob {location.blob} fail the CRC32C taken when written")
        return data

    def verifying_cids(self) -> BlockStore:
        """A store over the same registry and blobs that checks every block against its CID
        and caches nothing (``fsck``)."""
        return BlockStore(self.registry, self.blobs, cache_bytes=0, hash_local=True, raw_cache_bytes=0)

    def clear_cache(self) -> None:
        self._structured.clear()
        self._small_raw.clear()


class _ByteBoundedCache:
    """Verified blocks by CID, least recently used first out, at most ``limit`` bytes of
    them (thread-safe)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._blocks: OrderedDict[CID, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, cid: CID) -> bytes | None:
        with self._lock:
            data = self._blocks.get(cid)
            if data is not None:
                self._blocks.move_to_end(cid)
            return data

    def put(self, cid: CID, data: bytes) -> None:
        if len(data) > self.limit:
            return
        with self._lock:
            if cid in self._blocks:
                return
            self._blocks[cid] = data
            self._bytes += len(data)
            while self._bytes > self.limit:
                _, old = self._blocks.popitem(last=False)
                self._bytes -= len(old)

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()
            self._bytes = 0
