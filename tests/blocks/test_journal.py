"""The blob journal: a small write waits for one durable commit and makes no file, any
process reads it before the flusher places its files, and a store that lost files (a
power loss before the flusher's sync) gets them back from the journal."""

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from moto_forge.blocks import journal
from moto_forge.blocks.blobstore import LocalBlobStore
from moto_forge.bucket.maintenance import fsck
from moto_forge.bucket.service import BucketService, open_stores
from moto_forge.errors import StorageError


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


def count_syncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every :meth:`LocalBlobStore.sync` call from now on (one list entry each)."""
    calls: list[int] = []
    original = LocalBlobStore.sync

    def counting(self: LocalBlobStore, names: object) -> None:
        calls.append(1)
        original(self, names)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalBlobStore, "sync", counting)
    return calls


def test_small_write_commits_without_syncing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unflushed: None
) -> None:
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        syncs = count_syncs(monkeypatch)
        put(service, "small", b"x" * 4096)
        assert syncs == []  # the registry commit is the one durable wait
        assert service.registry.journal_high_water() > 0
        names = service.registry.journal_names(service.registry.journal_high_water())
        assert names and not any(service.blobs.has_file(name) for name in names)  # no file made yet
        assert read(service, "small") == b"x" * 4096
        put(service, "large", os.urandom(journal.JOURNAL_LIMIT + 1))
        assert syncs == [1]  # too large to journal: its files are synced first
    finally:
        service.close()


def test_flusher_syncs_and_trims_the_journal(tmp_path: Path) -> None:
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        put(service, "k", b"v")
        assert service.registry.journal_high_water() > 0
    finally:
        service.close()  # stops the flusher after a last flush
    reopened = BucketService.open(str(tmp_path))
    try:
        assert reopened.registry.journal_high_water() == 0
        assert read(reopened, "k") == b"v"
    finally:
        reopened.close()


def test_with_forge_a_small_write_places_its_files_before_the_commit(tmp_path: Path, unflushed: None) -> None:
    """Async Forge mode (an outbox, and a worker that does not ship it): the shipping worker
    reads the files, so they are placed before the commit, though journalled, not synced."""
    registry, blobs = open_stores(str(tmp_path), outbox=True)
    service = BucketService(registry, blobs)
    try:
        service.create_bucket("bkt")
        put(service, "k", b"for Forge")
        names = service.registry.journal_names(service.registry.journal_high_water())
        assert names and all(service.blobs.has_file(name) for name in names)
    finally:
        service.close()


def test_another_process_reads_unplaced_blobs_from_the_journal(tmp_path: Path, unflushed: None) -> None:
    writer = BucketService.open(str(tmp_path))
    reader = BucketService.open(str(tmp_path))  # a second server process on the same store
    try:
        writer.create_bucket("bkt")
        put(writer, "k", b"written by the other process")
        names = writer.registry.journal_names(writer.registry.journal_high_water())
        assert not any(reader.blobs.has_file(name) for name in names)
        assert read(reader, "k") == b"written by the other process"
        assert all(reader.blobs.exists(name) for name in names)
    finally:
        reader.close()
        writer.close()


def test_flush_places_files_and_trims_the_journal(tmp_path: Path) -> None:
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        put(service, "k", b"v" * 100)
        names = service.registry.journal_names(service.registry.journal_high_water())
        assert journal.flush_journal(service.registry, service.blobs) == len(names)
        assert all(service.blobs.has_file(name) for name in names)
        assert service.registry.journal_high_water() == 0
        assert read(service, "k") == b"v" * 100
    finally:
        service.close()


def test_reader_looks_at_the_file_again_when_the_row_is_gone(tmp_path: Path) -> None:
    """A flusher may place a blob and trim its row between a reader's look at the file and
    its look at the journal: the reader finds the file on its second look."""
    blobs = LocalBlobStore(str(tmp_path))

    def flushed_meanwhile(name: str) -> bytes | None:
        blobs.place(name, b"placed meanwhile", durable=False)
        return None

    blobs.journalled = flushed_meanwhile
    assert blobs.read("zQmRaceBlob", 0, 6) == b"placed"
    with pytest.raises(StorageError, match="missing"):
        LocalBlobStore(str(tmp_path / "other")).read("zQmRaceBlob", 0, 6)


def test_lost_and_torn_files_come_back_from_the_journal(tmp_path: Path, unflushed: None) -> None:
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        put(service, "one", b"first object")
        put(service, "two", b"second object" * 100)
        journalled = service.registry.journal_names(service.registry.journal_high_water())
    finally:
        service.close()
    assert len(journalled) == 4  # two writes: a CAR and an index each
    blobs = LocalBlobStore(str(tmp_path))
    assert not any(blobs.has_file(name) for name in journalled)  # never placed (the flusher never ran)
    os.makedirs(os.path.dirname(blobs.path(journalled[2])), exist_ok=True)
    with open(blobs.path(journalled[2]), "wb") as torn:  # one half reached the disk
        torn.write(b"torn bytes")

    restored = BucketService.open(str(tmp_path))  # opening replays the journal
    try:
        assert read(restored, "one") == b"first object"
        assert read(restored, "two") == b"second object" * 100
        assert restored.registry.journal_high_water() == 0
        assert fsck(restored).ok
    finally:
        restored.close()


def test_replay_leaves_swept_blobs_gone(tmp_path: Path, unflushed: None) -> None:
    service = BucketService.open(str(tmp_path))
    try:
        service.create_bucket("bkt")
        put(service, "k", b"soon gone")
        names = service.registry.journal_names(service.registry.journal_high_water())  # a CAR and its index
        car = next(b.multihash for b in service.registry.list_blobs() if b.multihash in names and b.kind == "car")
        service.registry.forget_blob(car)  # as a gc sweep does (its index with it), with the files (if any)
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(service.blobs.path(name))
        assert journal.replay_journal(service.registry, service.blobs) == 0
        assert not any(os.path.exists(service.blobs.path(name)) for name in names)
        assert service.registry.journal_high_water() == 0
    finally:
        service.close()


def test_throwaway_store_does_not_journal(tmp_path: Path) -> None:
    service = BucketService.open(str(tmp_path), durable=False)
    try:
        assert not service.registry.journaling
        assert service.journal_flusher is None
        service.create_bucket("bkt")
        put(service, "k", b"v")
        assert service.registry.journal_high_water() == 0
    finally:
        service.close()
