"""The bucket service: S3 operations as MST and manifest changes (no HTTP here).

Write path (every write): stream body chunks into a :class:`PendingCar`;
build the manifest; then commit, grouped with the bucket's other writers
waiting at that moment (:mod:`moto_forge.bucket.commits`): under the
bucket's in-process lock, loop: read the current root from the registry,
apply each write's change to the MST in turn, append each one's changed
nodes to its own CAR, store every CAR + index as blobs (one flush for all),
and compare-and-swap the root in one registry transaction that also records
one history row per write and the blobs' block locations.  A batch that
loses the swap (another process moved the root) rewinds every CAR to its
body and is decided again on the new root.

Read path: registry root (or a root from the bucket's history) -> MST nodes
-> manifest -> body index -> only the chunks a range needs; every block is
verified against its CID by the :class:`BlockStore`.  Listings of the current
root come from the registry's listing index (registry/listing.py), which
writes keep current in their compare-and-swap transaction and which is
rebuilt from the MST when stale; listings of older roots walk the MST.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable

from moto_forge.blocks import LocalBlobStore, PendingCar
from moto_forge.blocks.journal import replay_journal
from moto_forge.blocks.uncached import UncachedBlobStore
from moto_forge.bucket.actor import current_actor
from moto_forge.bucket.commits import MAX_EPOCH_RETRIES
from moto_forge.bucket.multipart import MultipartUploads
from moto_forge.bucket.names import check_bucket_name
from moto_forge.bucket.root import BucketRoot, Config
from moto_forge.bucket.writes import EMPTY_ROOT, MAX_CAS_ATTEMPTS, WriteResult, Writes
from moto_forge.errors import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    GcEpochChanged,
    StorageError,
)
from moto_forge.mst import MST
from moto_forge.registry import (
    BucketRecord,
    Registry,
    SharedBlocks,
    default_url,
)

__all__ = ["EMPTY_ROOT", "MAX_CAS_ATTEMPTS", "BucketService", "WriteResult", "open_stores"]


def open_stores(
    data_dir: str,
    registry_url: str | None = None,
    *,
    durable: bool = True,
    fetch: Callable[[str], bytes] | None = None,
    outbox: bool = False,
    read_only: bool = False,
    read_range: Callable[[str, int, int], bytes] | None = None,
) -> tuple[Registry, LocalBlobStore]:
    """The registry (SQLite in ``data_dir`` unless ``registry_url``) and the blob store in
    ``data_dir`` (made if missing, its disk reserve kept).  ``durable=False``: nothing is
    fsynced (a throwaway store: ``mock_forge``'s temporary dir); ``fetch`` reads blobs not
    on disk through from Forge; ``outbox``: writes queue for Forge (async mode).
    ``read_only``: open both to read only (nothing is made, migrated or written: commands
    that only read, on a data dir they may not be able to write).  A writable store
    replays the registry's blob journal first (:mod:`moto_forge.blocks.journal`).
    ``read_range``: keep no blobs, read every one from Forge (``blocks/uncached.py``).
    Without ``fetch`` or ``read_range`` (no Forge) the data dir must be the registry's one embedded store
    (:meth:`Registry.claim_embedded`; :class:`StorageError` naming both otherwise)."""
    if read_only:
        reader = LocalBlobStore(data_dir, fetch, durable=durable, read_only=True)
        registry = Registry(registry_url or default_url(data_dir), read_only=True, store_id=reader.store_id)
        reader.unplaced = registry.unplaced_blob  # small blobs are in the registry, not files
        return registry, reader
    os.makedirs(data_dir, exist_ok=True)
    if read_range is not None:
        blobs: LocalBlobStore = UncachedBlobStore(data_dir, read_range, durable=durable)
    else:
        blobs = LocalBlobStore(data_dir, fetch, durable=durable)
    url = registry_url or default_url(data_dir)
    registry = Registry(url, durable=durable, outbox=outbox, store_id=blobs.store_id)
    if fetch is None and read_range is None:  # no Forge: every blob must be in this one data dir
        other = registry.claim_embedded(blobs.store_id)
        if other is not None:
            registry.close()
            raise StorageError(
                f"the registry {registry.safe_url} already keeps the blobs of another data dir (store {other}), "
                f"not {data_dir} (store {blobs.store_id}): without Forge one registry serves one data dir; "
                "several instances on one registry need --forge (each data dir is then a cache of Forge)"
            )
    blobs.keep_reserve()
    replay_journal(registry, blobs)
    blobs.unplaced = registry.unplaced_blob  # small blobs are in the registry (another process's too)
    return registry, blobs


class BucketService(Writes):
    """Buckets and objects over one registry and one blob store (thread-safe): reads
    (:mod:`~moto_forge.bucket.reads`), writes (:mod:`~moto_forge.bucket.writes`), multipart
    uploads (:mod:`~moto_forge.bucket.multipart`) and the bucket operations here."""

    @functools.cached_property
    def multipart(self) -> MultipartUploads:
        """The multipart uploads (made on first use; they keep no state of their own but
        their minimum part size)."""
        return MultipartUploads(self)

    @classmethod
    def open(
        cls,
        data_dir: str,
        registry_url: str | None = None,
        *,
        durable: bool = True,
        read_only: bool = False,
        **options: object,
    ) -> BucketService:
        """The service over :func:`open_stores` of ``data_dir`` (no Forge layer)."""
        stores = open_stores(data_dir, registry_url, durable=durable, read_only=read_only)
        return cls(*stores, **options)  # type: ignore[arg-type]

    def create_bucket(self, name: str, space: str | None = None, config: Config | None = None) -> BucketRecord:
        """Create a bucket owned by ``space`` (``None``: the server's own space), without
        objects and with configuration document ``config`` (none if empty)."""
        check_bucket_name(name, legacy=self.legacy_bucket_names)
        for _ in range(MAX_EPOCH_RETRIES):
            shared = SharedBlocks(self.registry.gc_epoch())  # the root's row may be an older blob's
            with PendingCar(self.blobs) as pending:
                objects, blocks = MST.empty(self.store).commit()
                config_cid, config_data = self._config_block(config or {})
                if config_cid is not None:
                    blocks.append((config_cid, config_data))
                root, data = BucketRoot(objects, config_cid).encode()
                blocks.append((root, data))
                for cid, data in blocks:
                    pending.add(cid, data)
                stored = self.finish(pending, root, space)
                shared = dataclasses.replace(shared, cids=tuple(cid for cid, _ in blocks))
                try:
                    self.registry.add_blobs(stored.records, space, placed=shared.epoch)
                    created = self.registry.create_bucket(name, root, empty=True, space=space, shared=shared,
                                                      actor=current_actor.get())  # fmt: skip
                except GcEpochChanged:  # BlobsSwept too: the next round places the files again
                    continue
                self.blobs.drop(record.multihash for record in stored.records)
            if not created:
                raise BucketAlreadyOwnedByYou(
                    "Your previous request to create the named bucket succeeded and you already own it.",
                    BucketName=name,
                )
            return self.head_bucket(name)
        raise GcEpochChanged()

    def list_buckets(self) -> list[BucketRecord]:
        return self.registry.list_buckets()

    def delete_bucket(self, name: str) -> None:
        """Delete an empty bucket, without objects or versions (``BucketNotEmpty`` otherwise);
        its history goes with it."""
        with self._lock(name):
            record = self.head_bucket(name)
            state = self.state_of(self.bucket_root(record.root))
            if not state.objects.is_empty() or (state.versions is not None and not state.versions.is_empty()):
                raise BucketNotEmpty("The bucket you tried to delete is not empty", BucketName=name)
            if not self.registry.delete_bucket(name, record.root):
                raise BucketNotEmpty("The bucket changed while it was being deleted", BucketName=name)
