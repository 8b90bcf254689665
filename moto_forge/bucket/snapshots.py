"""Snapshots: every recorded root stays readable; roots can be diffed, and a
bucket can leave as one CAR and come back from one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from moto_forge.blocks import PendingCar
from moto_forge.bucket.commits import MAX_EPOCH_RETRIES
from moto_forge.bucket.names import check_bucket_name
from moto_forge.bucket.walk import reachable
from moto_forge.errors import (
    BlobsSwept,
    BucketAlreadyOwnedByYou,
    CarHeaderError,
    GcEpochChanged,
    MissingBlockError,
)
from moto_forge.ipld.car import CarReader, CarWriter
from moto_forge.ipld.cid import CID
from moto_forge.mst import Change, NodeLoader
from moto_forge.registry import RootRecord, SharedBlocks

if TYPE_CHECKING:
    from moto_forge.bucket.service import BucketService

Progress = Callable[[int], None]


def history(service: BucketService, bucket: str) -> list[RootRecord]:
    service.head_bucket(bucket)
    return service.registry.history(bucket)


def diff(service: BucketService, bucket: str, a: CID, b: CID) -> Iterator[Change]:
    """Key changes from root ``a`` to root ``b`` (both must be in the bucket's history)."""
    return service.tree(bucket, a).diff(service.tree(bucket, b))


def export_car(
    service: BucketService, bucket: str, out: BinaryIO, root: CID | None = None, progress: Progress | None = None
) -> tuple[CID, int]:
    """Write the bucket (at ``root``, default current) as one CARv1 rooted at its bucket root
    (objects, configuration and all).

    Every reachable block is read through verification, once.  Returns the
    root and the number of blocks written.
    """
    root_cid, _ = service.snapshot(bucket, root)
    writer = CarWriter(out, [root_cid])
    count = 0
    for cid in reachable(service.store, service.loader, root_cid, set()):
        writer.add(cid, service.store.get(cid))
        count += 1
        if progress is not None:
            progress(count)
    return root_cid, count


def import_car(service: BucketService, stream: BinaryIO, bucket: str, progress: Progress | None = None) -> CID:
    """Create ``bucket`` from a CAR whose single root is a bucket root (or, from a store older
    than bucket roots, an objects MST root).

    The CAR is verified block by block while the blocks the store does not hold yet
    are copied into one blob (a block already stored is not stored twice: importing a
    bucket's export into the same store takes no second copy); then every block the
    root reaches must be present (else nothing is created and the stored blob is left
    for ``gc``).  A block already stored may be taken by a gc sweep meanwhile: the
    bucket is created under the gc fence (``shared``), so such an import is refused
    rather than create a bucket missing blocks, and a seekable ``stream`` is read again
    from its start (up to ``MAX_EPOCH_RETRIES`` times; then ``GcEpochChanged`` or
    ``BlobsSwept``: retry the import).
    """
    check_bucket_name(bucket, legacy=service.legacy_bucket_names)
    start = stream.tell() if stream.seekable() else None
    for attempt in range(MAX_EPOCH_RETRIES):
        if attempt and start is not None:
            stream.seek(start)
        try:
            return _import_once(service, stream, bucket, progress)
        except (GcEpochChanged, BlobsSwept):
            if start is None or attempt == MAX_EPOCH_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _import_once(service: BucketService, stream: BinaryIO, bucket: str, progress: Progress | None) -> CID:
    """One attempt of :func:`import_car` (a sweep that raced it: ``GcEpochChanged`` / ``BlobsSwept``)."""
    if service.registry.get_bucket(bucket) is not None:
        raise BucketAlreadyOwnedByYou("The bucket already exists", BucketName=bucket)
    reader = CarReader(stream)
    if len(reader.roots) != 1:
        raise CarHeaderError(f"an exported bucket CAR has exactly one root, this one has {len(reader.roots)}")
    root = reader.roots[0]
    epoch = service.registry.gc_epoch()  # a sweep before the bucket exists may take its blobs
    with PendingCar(service.blobs) as car:
        new_blocks = 0
        for count, block in enumerate(reader, 1):
            if service.registry.locate(block.cid) is None:  # the store keeps one copy of a block
                car.add(block.cid, block.data)
                new_blocks += 1
            if progress is not None:
                progress(count)
        if new_blocks:
            stored = service.finish(car, root)
            service.registry.add_blobs(stored.records, placed=epoch)  # BlobsSwept: a sweep ran; import again
    loader = NodeLoader(service.store)
    try:
        cids = tuple(reachable(service.store, loader, root, set()))  # every block read and verified
    except MissingBlockError:
        if service.registry.gc_epoch() != epoch:  # a sweep took a block the import counted on
            raise GcEpochChanged() from None
        raise  # the CAR does not hold every block its root reaches
    shared = SharedBlocks(epoch, cids)
    if not service.registry.create_bucket(bucket, root, operation="Import", shared=shared):
        raise BucketAlreadyOwnedByYou("The bucket already exists", BucketName=bucket)
    return root
