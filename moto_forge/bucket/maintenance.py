"""fsck (verify everything kept) and gc (delete blobs nothing kept reaches).

Retention: a bucket keeps its current root, its last ``keep_last`` roots and
every root younger than ``keep_days``; gc prunes older history rows, then
deletes every blob none of whose located blocks a kept root (or an upload in
progress) reaches, and blob or temporary files the registry never recorded
that are older than ``grace_seconds`` (writes a crash interrupted).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moto_forge.bucket.walk import OnError, part_blocks, reachable
from moto_forge.errors import BlockError, ForgeError, StorageError
from moto_forge.ipld.cid import CID
from moto_forge.mst import MST, NodeLoader
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

    Also checks that every blob the registry records exists with its size.
    A fresh node loader and block reads straight from disk: nothing cached.
    """
    report = FsckReport()
    store = service.store
    store.clear_cache()
    loader = NodeLoader(store)
    seen: set[CID] = set()

    for blob in service.registry.list_blobs():
        try:
            size = service.blobs.size(blob.multihash)
        except StorageError:
            report.problems.append(f"blob {blob.multihash} ({blob.kind}) is missing from the blob store")
            continue
        if size != blob.size:
            report.problems.append(f"blob {blob.multihash} has {size} bytes, the registry says {blob.size}")

    def check(where: str, walk: Callable[[OnError], Iterator[CID]]) -> None:
        def on_error(cid: CID, exc: Exception) -> None:
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
    return report


def check_listing_index(service: BucketService, bucket: str, report: FsckReport) -> None:
    """The listing index must list exactly the current tree; if it does not, say so and
    mark it stale (the next listing rebuilds it)."""
    record = service.head_bucket(bucket)
    tree = MST.load(service.store, record.root, NodeLoader(service.store))
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
    """Apply ``retention`` and delete what no kept root reaches (see the module doc).

    Refuses (raises) if any kept root cannot be walked completely: deleting
    with an unknown reachable set could destroy live data.
    """
    report = GcReport()
    now = time.time()
    store = service.store
    loader = NodeLoader(store)
    live: set[CID] = set()
    for bucket in service.registry.list_buckets():
        history = service.registry.history(bucket.name)
        keep = retention.kept(history, now) | {bucket.seq}
        for record in history:
            if record.seq in keep:
                for _ in reachable(store, loader, record.root, live):
                    if progress is not None:
                        progress(len(live))
        if not dry_run:
            report.history_pruned += service.registry.prune_history(bucket.name, keep)
        else:
            report.history_pruned += len(history) - len([r for r in history if r.seq in keep])
    for part_root in service.registry.part_roots():
        for _ in part_blocks(store, part_root, live):
            pass
    report.reachable_blocks = len(live)

    blobs = service.registry.list_blobs()
    recorded = {blob.multihash for blob in blobs}
    indexes: dict[str, list[str]] = {}
    for blob in blobs:
        if blob.shard is not None:
            indexes.setdefault(blob.shard, []).append(blob.multihash)
    for blob in blobs:
        if blob.kind != "car":
            continue
        if any(cid in live for cid in service.registry.blocks_in(blob.multihash)):
            continue
        report.blobs_deleted += 1
        report.bytes_freed += blob.size
        if not dry_run:
            service.registry.forget_blob(blob.multihash)
            for name in [blob.multihash, *indexes.get(blob.multihash, [])]:
                service.blobs.delete(name)
    for name in list(service.blobs.names()):
        if name in recorded:
            continue
        if now - os.path.getmtime(service.blobs.path(name)) > grace_seconds:
            report.orphans_deleted += 1
            if not dry_run:
                service.blobs.delete(name)
    for path in service.blobs.temp_files():
        if now - os.path.getmtime(path) > grace_seconds and not dry_run:
            os.unlink(path)
    return report
