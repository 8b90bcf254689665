"""Small writes: one durable commit each and no file.  On the embedded store their blobs
live in the registry (inline) for good: any process reads them, gc deletes them with
their rows.  With Forge their files are placed and journalled until the flusher syncs
them, and a store that lost files (a power loss before that sync) gets them back from
the journal."""

import contextlib
import dataclasses
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from moto_forge.blocks import journal
from moto_forge.blocks.blobstore import LocalBlobStore
from moto_forge.bucket.maintenance import Retention, fsck, gc
from moto_forge.bucket.service import BucketService, open_stores
from moto_forge.errors import BlockHashMismatchError, MissingBlockError, StorageError
from moto_forge.objects import spans
from moto_forge.registry import Registry


@pytest.fixture
def unflushed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The flusher never syncs nor trims (the machine "loses power" before it would)."""
    monkeypatch.setattr(journal, "flush_journal", lambda registry, blobs: 0)
    yield


def put(service: BucketService, key: str, data: bytes) -> None:
    service.put_object("bkt", key, io.BytesIO(data))  # type: ignore[arg-type]


def read(service: BucketService, key: str) -> bytes:
    manifest, _ = service.head_object("bkt", key)
    return b"".join(service.read_body(manifest, 0, None))


def inline_names(registry: Registry) -> set[str]:
    return {str(row[0]) for row in registry.db.execute_sql("SELECT multihash FROM blob_inline").fetchall()}


def count_syncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every :meth:`LocalBlobStore.sync` call from now on (one list entry each)."""
    calls: list[int] = []
    original = LocalBlobStore.sync

    def counting(self: LocalBlobStore, names: object) -> None:
        calls.append(1)
        original(self, names)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalBlobStore, "sync", counting)
    return calls


def forge_mode(tmp_path: Path) -> BucketService:
    """A store whose small writes place their files (async Forge mode: an outbox, and a
    worker that does not ship it: the shipping worker reads the files)."""
    registry, blobs = open_stores(str(tmp_path), outbox=True)
    return BucketService(registry, blobs)


def test_small_write_commits_without_syncing_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        syncs = count_syncs(monkeypatch)
        put(service, "small", b"x" * 4096)
        assert syncs == []  # the registry commit is the one durable wait
        held = inline_names(service.registry)
        assert len(held) == 2  # its CAR and its index, in the registry
        assert not any(service.blobs.has_file(name) for name in held)
        assert service.registry.journal_high_water() == 0  # nothing waits for a flush
        assert read(service, "small") == b"x" * 4096
        put(service, "large", os.urandom(journal.JOURNAL_LIMIT + 1))
        assert syncs == [1]  # too large to keep in the registry: its files are synced first
        assert inline_names(service.registry) == held
    finally:
        service.close()


def test_small_blobs_never_become_files(tmp_path: Path) -> None:
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        put(service, "k", b"v" * 100)
        held = inline_names(service.registry)
        assert service.flush_journal() == 0
    finally:
        service.close()  # the flusher's last flush
    reopened = BucketService.open(str(tmp_path))
    try:
        assert not any(reopened.blobs.has_file(name) for name in held)
        assert read(reopened, "k") == b"v" * 100
        assert all(reopened.blobs.exists(name) for name in held)
        sizes = {blob.multihash: blob.size for blob in reopened.registry.list_blobs()}
        assert all(reopened.blobs.size(name) == sizes[name] for name in held)
        assert fsck(reopened).ok
    finally:
        reopened.close()


def test_a_block_of_an_inline_blob_is_located_with_its_bytes(tmp_path: Path) -> None:
    """One registry lookup gives an inline block's location and bytes (no file to try);
    the bytes are checked as a file's would be."""
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        put(service, "small", b"small body")
        put(service, "large", os.urandom(journal.JOURNAL_LIMIT + 1))
        small, _ = service.head_object("bkt", "small")
        large, _ = service.head_object("bkt", "large")
        inline = service.registry.locate(next(spans(service.store, small.body.format, small.body.root, 0, 1)).cid)
        placed = service.registry.locate(next(spans(service.store, large.body.format, large.body.root, 0, 1)).cid)
        assert inline is not None and inline.inline == b"small body"
        assert placed is not None and placed.inline is None and service.blobs.has_file(placed.blob)
        service.store.clear_cache()
        damaged = dataclasses.replace(inline, inline=b"smell body")
        with pytest.raises(BlockHashMismatchError):
            service.store.read_located(damaged)
        with pytest.raises(MissingBlockError, match="truncated"):
            service.store.read_located(dataclasses.replace(inline, inline=b"small"))
    finally:
        service.close()


def test_another_process_reads_inline_blobs(tmp_path: Path) -> None:
    writer = BucketService.open(str(tmp_path))
    reader = BucketService.open(str(tmp_path))  # a second server process on the same store
    try:
        writer.create_bucket("bkt")
        put(writer, "k", b"written by the other process")
        held = inline_names(writer.registry)
        assert held and not any(reader.blobs.has_file(name) for name in held)
        assert read(reader, "k") == b"written by the other process"
    finally:
        reader.close()
        writer.close()


def test_gc_deletes_inline_blobs_with_their_rows(tmp_path: Path) -> None:
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        put(service, "k", b"first")
        first = inline_names(service.registry)
        put(service, "k", b"second")
        report = gc(service, Retention(keep_last=1, keep_days=0), grace_seconds=0)
        assert report.blobs_deleted >= 1
        left = inline_names(service.registry)
        recorded = {blob.multihash for blob in service.registry.list_blobs()}
        assert left <= recorded  # no bytes outlive their blob row
        assert first - left  # the first write's CAR (and index) went
        assert read(service, "k") == b"second"
        assert fsck(service).ok
    finally:
        service.close()


def test_with_forge_a_small_write_places_its_files_before_the_commit(tmp_path: Path, unflushed: None) -> None:
    service = forge_mode(tmp_path)
    try:
        service.create_bucket("bkt")
        put(service, "k", b"for Forge")
        names = service.registry.journal_names(service.registry.journal_high_water())
        assert names and all(service.blobs.has_file(name) for name in names)  # journalled, not synced
        assert not inline_names(service.registry)
    finally:
        service.close()


def test_flush_syncs_and_trims_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = forge_mode(tmp_path)
    try:
        service.create_bucket("bkt")
        put(service, "k", b"v" * 100)
        names = service.registry.journal_names(service.registry.journal_high_water())
        syncs = count_syncs(monkeypatch)
        assert journal.flush_journal(service.registry, service.blobs) == len(names)
        assert syncs == [1]
        assert service.registry.journal_high_water() == 0
        assert read(service, "k") == b"v" * 100
    finally:
        service.close()


def test_reader_looks_at_the_file_again_when_the_row_is_gone(tmp_path: Path) -> None:
    """A flusher may place a blob and trim its row between a reader's look at the file and
    its look at the registry: the reader finds the file on its second look."""
    blobs = LocalBlobStore(str(tmp_path))

    def flushed_meanwhile(name: str) -> bytes | None:
        blobs.place(name, b"placed meanwhile", durable=False)
        return None

    blobs.unplaced = flushed_meanwhile
    assert blobs.read("zQmRaceBlob", 0, 6) == b"placed"
    with pytest.raises(StorageError, match="missing"):
        LocalBlobStore(str(tmp_path / "other")).read("zQmRaceBlob", 0, 6)


def test_lost_and_torn_files_come_back_from_the_journal(tmp_path: Path, unflushed: None) -> None:
    service = forge_mode(tmp_path)
    try:
        service.create_bucket("bkt")
        put(service, "one", b"first object")
        put(service, "two", b"second object" * 100)
        journalled = service.registry.journal_names(service.registry.journal_high_water())
    finally:
        service.close()
    assert len(journalled) == 4  # two writes: a CAR and an index each
    blobs = LocalBlobStore(str(tmp_path))
    for name in journalled:  # the power went before the flusher's sync: nothing reached the disk
        os.unlink(blobs.path(name))
    with open(blobs.path(journalled[2]), "wb") as torn:  # but one half of this one did
        torn.write(b"torn bytes")

    registry, blobs = open_stores(str(tmp_path), outbox=True)  # opening replays the journal
    restored = BucketService(registry, blobs)
    try:
        assert all(restored.blobs.has_file(name) for name in journalled)
        assert read(restored, "one") == b"first object"
        assert read(restored, "two") == b"second object" * 100
        assert restored.registry.journal_high_water() == 0
        assert fsck(restored).ok
    finally:
        restored.close()


def test_replay_leaves_swept_blobs_gone(tmp_path: Path, unflushed: None) -> None:
    service = forge_mode(tmp_path)
    try:
        service.create_bucket("bkt")
        put(service, "k", b"soon gone")
        names = service.registry.journal_names(service.registry.journal_high_water())  # a CAR and its index
        car = next(b.multihash for b in service.registry.list_blobs() if b.multihash in names and b.kind == "car")
        service.registry.forget_blob(car)  # as a gc sweep does (its index with it), with the files
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(service.blobs.path(name))
        assert journal.replay_journal(service.registry, service.blobs) == 0
        assert not any(os.path.exists(service.blobs.path(name)) for name in names)
        assert service.registry.journal_high_water() == 0
    finally:
        service.close()


def test_throwaway_store_keeps_no_blob_in_the_registry(tmp_path: Path) -> None:
    service = BucketService.open(str(tmp_path), durable=False)
    try:
        assert not service.registry.journaling
        assert service.journal_flusher is None
        service.create_bucket("bkt")
        put(service, "k", b"v")
        assert service.registry.journal_high_water() == 0
        assert not inline_names(service.registry)
        assert read(service, "k") == b"v"
    finally:
        service.close()
