"""Snapshots: every recorded root stays readable; roots can be diffed, and a
bucket can leave as one CAR and come back from one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from moto_forge.blocks import PendingCar
from moto_forge.bucket.names import check_bucket_name
from moto_forge.bucket.walk import reachable
from moto_forge.errors import BucketAlreadyOwnedByYou, CarHeaderError
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

    The CAR is verified block by block while it is copied into a blob; then
    every block the root reaches must be present (else nothing is created and
    the stored blob is left for ``gc``).
    """
    check_bucket_name(bucket, legacy=service.legacy_bucket_names)
    if service.registry.get_bucket(bucket) is not None:
        raise BucketAlreadyOwnedByYou("The bucket already exists", BucketName=bucket)
    reader = CarReader(stream)
    if len(reader.roots) != 1:
        raise CarHeaderError(f"an exported bucket CAR has exactly one root, this one has {len(reader.roots)}")
    root = reader.roots[0]
    epoch = service.registry.gc_epoch()  # a sweep before the bucket exists may take its blobs
    with PendingCar(service.blobs) as car:
        for count, block in enumerate(reader, 1):
            car.add(block.cid, block.data)
            if progress is not None:
                progress(count)
        stored = service.finish(car, root)
    service.registry.add_blobs(stored.records, placed=epoch)  # BlobsSwept: a sweep ran; import again
    loader = NodeLoader(service.store)
    cids = tuple(reachable(service.store, loader, root, set()))  # every block read and verified
    shared = SharedBlocks(epoch, cids)
    if not service.registry.create_bucket(bucket, root, operation="Import", shared=shared):
        raise BucketAlreadyOwnedByYou("The bucket already exists", BucketName=bucket)
    return root
