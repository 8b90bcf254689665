"""The state every part of the bucket service shares: the registry, the blob store, the
verified block store over them, the Forge layer passed in at construction, and the
bucket lookups every operation starts with."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from moto_forge.blocks import BlockStore, LocalBlobStore, StoredCar
from moto_forge.blocks.journal import JournalFlusher, flush_journal
from moto_forge.bucket.commits import CommitQueue
from moto_forge.bucket.root import BucketRoot, Config
from moto_forge.bucket.versions import Version
from moto_forge.cache import BoundedCache
from moto_forge.errors import (
    NoSuchBucket,
)
from moto_forge.ipld.cid import CID
from moto_forge.mst import NodeLoader
from moto_forge.objects import ObjectManifest
from moto_forge.objects.body import FixedNodeMemo
from moto_forge.objects.chunker import DEFAULT_CHUNK_SIZE
from moto_forge.registry import (
    BucketRecord,
    Registry,
)
from moto_forge.turns import TurnStripes

MANIFEST_CACHE_SIZE = 4096
"""Decoded object manifests kept (by CID) for reads; each is a few hundred bytes."""
ROOT_CACHE_SIZE = 1024
"""Decoded bucket root nodes and configuration documents kept (by CID), each."""


class ServiceState:
    """Buckets and objects over one registry and one blob store (thread-safe)."""

    def __init__(
        self,
        registry: Registry,
        blobs: LocalBlobStore,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        clock: Callable[[], float] | None = None,
        publish: Callable[[StoredCar, str | None, CID | None], None] | None = None,
        shipper: Any = None,
        legacy_bucket_names: bool = False,
    ) -> None:
        """The Forge layer, when there is one, comes in here (moto_forge/compose.py builds it):
        ``publish`` for sync mode, ``shipper`` for async mode (``registry.outbox`` set).
        ``legacy_bucket_names``: new buckets may have names S3's legacy rules allow
        (:mod:`moto_forge.bucket.names`)."""
        self.legacy_bucket_names = legacy_bucket_names
        self.publish = publish
        """Called with every stored CAR, the space it belongs to (``None``: the server's own)
        and the bucket root it commits (``None``: a multipart part, a new bucket) before the
        registry records it (Forge sync mode)."""
        self.shipper = shipper
        """The Forge outbox shipper (async mode): woken after each commit, stopped on close."""
        self.registry = registry
        self.blobs = blobs
        self.journal_flusher = JournalFlusher(registry, blobs) if registry.journaling else None
        """Syncs the blob store and trims the registry's blob journal after small writes
        (:mod:`moto_forge.blocks.journal`); stopped (after a last flush) on close."""
        self.store = BlockStore(registry, blobs)
        self.loader = NodeLoader(self.store)
        self._manifests: BoundedCache[CID, ObjectManifest] = BoundedCache(MANIFEST_CACHE_SIZE)
        self._roots: BoundedCache[CID, BucketRoot] = BoundedCache(ROOT_CACHE_SIZE)
        self._configs: BoundedCache[CID, Config] = BoundedCache(ROOT_CACHE_SIZE)
        self._version_lists: BoundedCache[CID, list[Version]] = BoundedCache(MANIFEST_CACHE_SIZE)
        self._body_nodes = FixedNodeMemo(MANIFEST_CACHE_SIZE)
        self.chunk_size = chunk_size
        self.clock = clock or _now
        """Now, in seconds (default: ``time.time`` looked up at each call, so a test's
        ``freezegun`` sets the times objects get, as it does moto's)."""
        self._queues: dict[str, CommitQueue] = {}
        self._queues_guard = threading.Lock()
        self.commit_turns = TurnStripes(os.path.join(blobs.root, "locks"), "bucket")
        """Each bucket's commit turn across the processes on this data dir (a group commit's
        leader decides its batch in it: :mod:`moto_forge.turns` says why)."""

    def timestamp(self) -> int:
        """A manifest's ``t``: now in whole seconds, rounded *up*, so an object is never older
        than a file written before it was uploaded (``aws s3 sync`` compares the two)."""
        return math.ceil(self.clock())

    def flush_journal(self) -> int:
        """Place and sync every journalled blob now and trim the journal (what the flusher
        does in the background); how many rows went.  Afterwards every committed blob of
        this store is durable: a file, or held inline in the registry (small blobs on the
        embedded store alone, which never get files)."""
        if not self.registry.journaling:
            return 0
        return flush_journal(self.registry, self.blobs)

    def close(self) -> None:
        if self.shipper is not None:
            self.shipper.stop()
        if self.journal_flusher is not None:
            self.journal_flusher.stop()
        self.blobs.close()
        self.commit_turns.close()
        self.registry.close()

    def find_bucket(self, name: str) -> BucketRecord | None:
        """The bucket's record, or ``None`` if there is no such bucket."""
        return self.registry.get_bucket(name)

    def release_connection(self) -> None:
        """Give this thread's registry connection back to the pool (an HTTP request is done
        with it; the next call takes one again)."""
        self.registry.release()

    def outbox_status(self) -> tuple[dict[str, int], Any]:
        """Writes waiting for Forge (async mode): the count per bucket, and the oldest entry."""
        return self.registry.outbox_summary(), self.registry.outbox_next()

    def head_bucket(self, name: str) -> BucketRecord:
        return existing(name, self.registry.get_bucket(name))

    def _queue(self, bucket: str) -> CommitQueue:
        with self._queues_guard:
            return self._queues.setdefault(bucket, CommitQueue())

    def _lock(self, bucket: str) -> threading.Lock:
        """The bucket's commit lock: held, no commit of the bucket is being decided."""
        return self._queue(bucket).lock


def existing(name: str, record: BucketRecord | None) -> BucketRecord:
    """``record``, the registry's answer for bucket ``name``; :class:`NoSuchBucket` if none."""
    if record is None:
        raise NoSuchBucket("The specified bucket does not exist", BucketName=name)
    return record


def _now() -> float:
    return time.time()
