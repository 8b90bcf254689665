"""Blob store conformance (one implementation so far: the local filesystem)."""

import os

import pytest

from moto_forge.blocks import LocalBlobStore
from moto_forge.errors import StorageError


@pytest.fixture
def store(tmp_path) -> LocalBlobStore:  # type: ignore[no-untyped-def]
    return LocalBlobStore(str(tmp_path))


def write_temp(store: LocalBlobStore, data: bytes) -> str:
    fd, path = store.new_temp()
    os.write(fd, data)
    os.close(fd)
    return path


def test_put_read_delete(store: LocalBlobStore) -> None:
    store.put_file(write_temp(store, b"0123456789"), "zBlobA")
    assert store.exists("zBlobA") and store.size("zBlobA") == 10
    assert store.read("zBlobA", 3, 4) == b"3456"
    assert list(store.names()) == ["zBlobA"]
    assert store.temp_files() == []
    store.delete("zBlobA")
    store.delete("zBlobA")  # absent: not an error
    assert not store.exists("zBlobA")


def test_link_keeps_the_temp_and_tolerates_existing(store: LocalBlobStore) -> None:
    path = write_temp(store, b"same bytes")
    store.link_file(path, "zSame")
    store.link_file(path, "zSame")
    assert os.path.exists(path) and store.read("zSame", 0, 4) == b"same"


def test_a_file_a_crash_left_unsynced_is_replaced_not_trusted(store: LocalBlobStore) -> None:
    """Blobs placed with durable=False become durable at sync(); if a crash came first, the
    name may hold a short or zeroed file: the next link of the real bytes replaces it."""
    store.put_file(write_temp(store, b"\0\0\0\0"), "zTorn", durable=False)
    path = write_temp(store, b"full bytes")
    store.link_file(path, "zTorn", durable=False)
    store.sync(["zTorn"])
    assert store.read("zTorn", 0, 10) == b"full bytes"
    assert os.path.exists(path)


def test_sync_makes_placed_blobs_durable_and_reports_failure(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_file(write_temp(store, b"abc"), "zLater", durable=False)
    store.sync(["zLater"])  # syncfs here; the fsync fallback below
    monkeypatch.setattr("moto_forge.blocks.blobstore.SYNCFS", None)
    store.sync(["zLater"])
    with pytest.raises(StorageError, match="zGone"):
        store.sync(["zGone"])


def test_reads_past_the_end_and_missing_blobs_fail(store: LocalBlobStore) -> None:
    store.put_file(write_temp(store, b"abc"), "zShort")
    with pytest.raises(StorageError, match="truncated"):
        store.read("zShort", 1, 10)
    with pytest.raises(StorageError, match="missing"):
        store.read("zNope", 0, 1)


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden"])
def test_rejects_names_that_escape(store: LocalBlobStore, name: str) -> None:
    with pytest.raises(StorageError):
        store.path(name)
