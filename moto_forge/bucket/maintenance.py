"""fsck (verify everything kept) and gc (delete blobs nothing kept reaches).

Retention: a bucket keeps its current root, its last ``keep_last`` roots and
every root younger than ``keep_days``; gc prunes older history rows, then
deletes every blob none of whose located blocks a kept root (or an upload in
progress) reaches, and blob or temporary files the registry never recorded
that are older than ``grace_seconds`` (writes a crash interrupted).

Concurrency: gc runs beside live servers.  The deciding half runs inside the
registry's gc fence (registry.py): no write commits while it re-reads the kept
roots and chooses what to delete, and a write that read a copy source before the
fence fails its commit and reads it again (``GcEpochChanged``), so no root
committed after the fence can reach a deleted blob.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moto_forge.blocks.blobstore import disk_full
from moto_forge.bucket.root import load_root
from moto_forge.bucket.walk import OnError, part_blocks, reachable
from moto_forge.errors import BlockError, ForgeError, StorageError
from moto_forge.ipld.cid import CID
from moto_forge.mst import MST, NodeLoader
from moto_forge.objects.body import iter_links
from moto_forge.registry import RootRecord

if TYPE_CHECKING:
    from moto_forge.bucket.service import BucketService

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Retention:
    keep_last: int = 100
    keep_days: float = 7.0

    def kept(self, history: list[RootRecord], now: float) -> set[int]:
        """The seqs of ``history`` this policy keeps (always the newest)."""
        if not history:
            return set()
        newest = sorted(history, key=lambda r: r.seq)
        keep = {r.seq for r in newest[-max(self.keep_last, 1) :]}
        keep |= {r.seq for r in history if now - r.time <= self.keep_days * 86400}
        return keep


@dataclass(slots=True)
class FsckReport:
    roots: int = 0
    blocks: int = 0
    problems: list[str] = field(default_factory=list)
    damaged: set[CID] = field(default_factory=set)
    """The blocks that failed (unreadable, or not what their CID says)."""
    objects: list[tuple[str, str, CID]] = field(default_factory=list)
    """``(bucket, key, block)``: the current objects a damaged block belongs to (its manifest
    or its body), so an operator knows which S3 keys to restore."""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class GcReport:
    history_pruned: int = 0
    blobs_deleted: int = 0
    bytes_freed: int = 0
    orphans_deleted: int = 0
    reachable_blocks: int = 0


def fsck(service: BucketService, progress: Progress | None = None) -> FsckReport:
    """Verify every block of every root in every bucket's history and of uploads in progress.

    Also checks that every blob the registry records exists with its size (with Forge:
    a blob missing here is fetched from Forge, verified and kept, as a read would; this
    data dir may be one instance's cache).  A fresh node loader and block reads straight
    from disk: nothing cached.
    """
    report = FsckReport()
    store = service.store.verifying_cids()  # every block against its CID, not the CRC32C
    loader = NodeLoader(store)
    seen: set[CID] = set()

    for blob in [] if service.blobs.remote else service.registry.list_blobs():  # remote: the walk reads all
        try:
            if not service.blobs.exists(blob.multihash) and service.blobs.fetch_missing is not None:
                service.blobs.fetch(blob.multihash)
            size = service.blobs.size(blob.multihash)
        except ForgeError as exc:
            report.problems.append(f"blob {blob.multihash} ({blob.kind}) is missing from the blob store ({exc})")
            continue
        if size != blob.size:
            report.problems.append(f"blob {blob.multihash} has {size} bytes, the registry says {blob.size}")

    def check(where: str, walk: Callable[[OnError], Iterator[CID]]) -> None:
        def on_error(cid: CID, exc: Exception) -> None:
            report.damaged.add(cid)
            report.problems.append(f"{where}: block {cid}: {exc}")

        try:
            for cid in walk(on_error):
                try:
                    store.get(cid)
                except BlockError as exc:
                    on_error(cid, exc)
                report.blocks += 1
                if progress is not None:
                    progress(report.blocks)
        except ForgeError as exc:
            report.problems.append(f"{where}: {exc}")

    for bucket in service.registry.list_buckets():
        for record in service.registry.history(bucket.name):
            report.roots += 1
            where = f"bucket {bucket.name} root {record.root} (seq {record.seq})"
            check(where, lambda on_error, r=record.root: reachable(store, loader, r, seen, on_error))  # type: ignore[misc]
    for part_root in service.registry.part_roots():
        check(f"upload part {part_root}", lambda on_error, r=part_root: part_blocks(store, r, seen))  # type: ignore[misc]
    for bucket in service.registry.list_buckets():
        if not report.problems and bucket.listed_root == bucket.root:
            check_listing_index(service, bucket.name, report)
    if report.damaged:
        attribute_damage(service, report)
    return report


def attribute_damage(service: BucketService, report: FsckReport) -> None:
    """Name the S3 objects (each bucket's current keys) whose manifest or body holds a
    damaged block; a second walk, only when fsck found damage."""
    store = service.store
    for bucket in service.registry.list_buckets():
        try:
            tree = MST.load(store, load_root(store, bucket.root).objects, NodeLoader(store))
            items = list(tree.items())
        except ForgeError:
            continue  # the tree itself is damaged: the problems above say where
        for key, manifest_cid in items:
            name = key.decode("utf-8", "replace")
            hit = manifest_cid if manifest_cid in report.damaged else _damaged_body_block(service, manifest_cid, report)
            if hit is not None:
                report.objects.append((bucket.name, name, hit))
                report.problems.append(f"bucket {bucket.name} key {name!r}: its block {hit} is damaged")


def _damaged_body_block(service: BucketService, manifest_cid: CID, report: FsckReport) -> CID | None:
    try:
        manifest = service.manifest(manifest_cid)
        for cid in iter_links(service.store, manifest.body.format, manifest.body.root):
            if cid in report.damaged:
                return cid
    except ForgeError as exc:  # a damaged index node or part list on the way
        return next((cid for cid in report.damaged if str(cid) in str(exc)), None)
    return None


def check_listing_index(service: BucketService, bucket: str, report: FsckReport) -> None:
    """The listing index must list exactly the current tree; if it does not, say so and
    mark it stale (the next listing rebuilds it)."""
    record = service.head_bucket(bucket)
    tree = MST.load(service.store, load_root(service.store, record.root).objects, NodeLoader(service.store))
    indexed = service.registry.listing_entries(bucket)
    for key, expected in service.entries_of_tree(tree):
        got = next(indexed, None)
        if got is None or got[1] != expected:
            report.problems.append(f"bucket {bucket}: listing index differs from the tree at key {key!r:.80}")
            service.registry.mark_listing_stale(bucket)
            return
    extra = next(indexed, None)
    if extra is not None:
        report.problems.append(f"bucket {bucket}: listing index has a key the tree lacks: {extra[0]!r:.80}")
        service.registry.mark_listing_stale(bucket)


def gc(
    service: BucketService,
    retention: Retention = Retention(),
    grace_seconds: float = 3600.0,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> GcReport:
    """:func:`collect`; on a full disk, with the blob store's reserve given back first (its
    registry transaction needs a little space), and the reserve set aside again after."""
    try:
        report = collect(service, retention, grace_seconds, dry_run, progress)
    except StorageError as exc:
        if not disk_full(exc) or not service.blobs.release_reserve():
            raise
        report = collect(service, retention, grace_seconds, dry_run, progress)
    service.blobs.keep_reserve()
    return report


def collect(
    service: BucketService,
    retention: Retention = Retention(),
    grace_seconds: float = 3600.0,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> GcReport:
    """Apply ``retention`` and delete what no kept root reaches (see the module doc).

    Safe beside running servers: the mark walks every kept root while writes go on;
    then, inside the registry's gc fence (no write commits meanwhile, and writes that
    read a copy source before it must read it again), the kept roots and uploads are
    read again, only what is new since is walked, history is pruned, and the blobs
    nothing reaches (and not waiting in the Forge outbox) lose their registry rows.
    Their files are deleted inside the fence too; a write that placed a same-named file
    before it places it again (``BlobsSwept``, registry.py).

    Refuses (raises) if any kept root cannot be walked completely: deleting
    with an unknown reachable set could destroy live data.
    """
    report = GcReport()
    now = time.time()
    live: set[CID] = set()
    _mark(service, retention, now, live, progress, None)  # the long walk, beside writers
    fence = contextlib.nullcontext(0) if dry_run else service.registry.gc_fence()
    doomed: list[str] = []
    with fence:
        report.history_pruned = _mark(service, retention, now, live, progress, not dry_run)
        report.reachable_blocks = len(live)
        blobs = service.registry.list_blobs()
        recorded = {blob.multihash for blob in blobs}
        shipping = service.registry.outbox_blobs()
        indexes: dict[str, list[str]] = {}
        for blob in blobs:
            if blob.shard is not None:
                indexes.setdefault(blob.shard, []).append(blob.multihash)
        for blob in blobs:
            if blob.kind != "car" or blob.multihash in shipping:
                continue
            if any(cid in live for cid in service.registry.blocks_in(blob.multihash)):
                continue
            report.blobs_deleted += 1
            report.bytes_freed += blob.size
            if not dry_run:
                service.registry.forget_blob(blob.multihash)
                doomed += [blob.multihash, *indexes.get(blob.multihash, [])]
        for name in list(service.blobs.names()):
            if name not in recorded and now - _mtime(service.blobs.path(name), now) > grace_seconds:
                report.orphans_deleted += 1
                doomed.append(name)
        # Inside the fence: a write that placed a same-named file (identical bytes) before
        # this point commits after the fence, sees the epoch moved and places it again
        # (BlobsSwept); one that places it after this point finds no file to share.
        if not dry_run:
            for name in doomed:
                service.blobs.delete(name)
    if not dry_run:
        for path in service.blobs.temp_files():
            if now - _mtime(path, now) > grace_seconds:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
    return report


def _mark(
    service: BucketService,
    retention: Retention,
    now: float,
    live: set[CID],
    progress: Progress | None,
    prune: bool | None,
) -> int:
    """Add to ``live`` every block the roots ``retention`` keeps and the uploads in progress
    reach (walking only what ``live`` lacks); with ``prune``, delete the other history rows
    (``None``: do not count them either).  Return the history rows pruned (or prunable)."""
    store = service.store
    loader = NodeLoader(store)
    pruned = 0
    for bucket in service.registry.list_buckets():
        history = service.registry.history(bucket.name)
        keep = retention.kept(history, now) | {bucket.seq}
        for record in history:
            if record.seq in keep:
                for _ in reachable(store, loader, record.root, live):
                    if progress is not None:
                        progress(len(live))
        if prune:
            pruned += service.registry.prune_history(bucket.name, keep)
        elif prune is not None:
            pruned += len([r for r in history if r.seq not in keep])
    for part_root in service.registry.part_roots():
        for _ in part_blocks(store, part_root, live):
            pass
    return pruned


def _mtime(path: str, default: float) -> float:
    """A file's modification time (``default``, i.e. "just now", if it is already gone)."""
    try:
        return os.path.getmtime(path)
    except FileNotFoundError:
        return default


def empty_all(service: BucketService) -> int:
    """Remove every bucket, its objects and its uploads first, through the ordinary delete
    paths (a reset: ``/moto-api/reset``, the pytest plugin between tests); return how many
    buckets went.  Their blobs stay until the next gc."""
    buckets = service.list_buckets()
    for bucket in buckets:
        for upload in service.multipart.list_uploads(bucket.name):
            service.multipart.abort(bucket.name, upload.upload_id)
        while True:  # every version (a bucket never versioned: every object, as its null version)
            page = service.list_versions(bucket.name, max_keys=1000)
            if not page.versions:
                break
            service.delete_objects(bucket.name, [(key, version.vid) for key, version, _ in page.versions])
        service.delete_bucket(bucket.name)
    return len(buckets)
