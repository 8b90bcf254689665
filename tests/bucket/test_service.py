"""Bucket service conformance: every test runs on SQLite and on a real PostgreSQL."""

import hashlib
import io
import os
import threading
from pathlib import Path

import pytest

from moto_forge.bucket.service import EMPTY_ROOT, BucketService
from moto_forge.bucket.snapshots import diff, export_car, import_car
from moto_forge.errors import (
    BlockHashMismatchError,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    InvalidBucketName,
    InvalidRange,
    KeyTooLong,
    NoSuchBucket,
    NoSuchKey,
    NoSuchSnapshot,
    PreconditionFailed,
    StorageError,
)
from moto_forge.ipld.car import CarReader
from moto_forge.ipld.cid import RAW
from moto_forge.objects import spans
from tests.support.damage import overwrite


def put(service: BucketService, bucket: str, key: str, data: bytes, **kw: object):  # type: ignore[no-untyped-def]
    return service.put_object(bucket, key, io.BytesIO(data), **kw)  # type: ignore[arg-type]


def read(service: BucketService, bucket: str, key: str, root=None, start: int = 0, end=None) -> bytes:  # type: ignore[no-untyped-def]
    manifest, _ = service.head_object(bucket, key, root)
    return b"".join(service.read_body(manifest, start, end))


def newest_car_blocks(service: BucketService) -> list:  # type: ignore[type-arg]
    cars = [b for b in service.registry.list_blobs() if b.kind == "car"]
    return service.registry.blocks_in(cars[-1].multihash)


def test_bucket_lifecycle(service: BucketService) -> None:
    record = service.create_bucket("my-bucket")
    assert record.root == EMPTY_ROOT and record.seq == 0
    with pytest.raises(BucketAlreadyOwnedByYou):
        service.create_bucket("my-bucket")
    put(service, "my-bucket", "k", b"v")
    with pytest.raises(BucketNotEmpty):
        service.delete_bucket("my-bucket")
    service.delete_object("my-bucket", "k")
    service.delete_bucket("my-bucket")
    assert service.list_buckets() == []
    with pytest.raises(NoSuchBucket):
        service.head_bucket("my-bucket")


@pytest.mark.parametrize("name", ["ab", "A-bucket", "a..b", "192.168.1.1", "-abc", "xn--abc", "abc-s3alias", "a" * 64])
def test_invalid_bucket_names(service: BucketService, name: str) -> None:
    with pytest.raises(InvalidBucketName):
        service.create_bucket(name)


@pytest.mark.parametrize("name", ["log_bucket", "MyBucket", "Mixed_Case.name-1"])
def test_legacy_bucket_names_only_when_asked(tmp_path: Path, name: str) -> None:
    strict = BucketService.open(str(tmp_path / "strict"), durable=False)
    legacy = BucketService.open(str(tmp_path / "legacy"), durable=False, legacy_bucket_names=True)
    try:
        with pytest.raises(InvalidBucketName):
            strict.create_bucket(name)
        legacy.create_bucket(name)
        assert [record.name for record in legacy.list_buckets()] == [name]
    finally:
        strict.close()
        legacy.close()


@pytest.mark.parametrize("name", ["ab", "_abc", "-abc", "a b", "a/b", "a" * 64, "A..b", "xn--Abc"])
def test_legacy_rules_still_refuse_what_they_refuse(tmp_path: Path, name: str) -> None:
    legacy = BucketService.open(str(tmp_path), durable=False, legacy_bucket_names=True)
    try:
        with pytest.raises(InvalidBucketName):
            legacy.create_bucket(name)
    finally:
        legacy.close()


def test_put_get_ranges_and_metadata(service: BucketService) -> None:
    service.create_bucket("bkt")
    data = os.urandom(5 * 1024 + 17)
    result = put(
        service, "bkt", "dir/obj.bin", data, content_type="x/y", metadata={"m": "1"}, headers={"cache-control": "no"}
    )
    manifest, cid = service.head_object("bkt", "dir/obj.bin")
    assert cid == result.manifest_cid and result.root == service.head_bucket("bkt").root
    assert manifest.etag == hashlib.md5(data).hexdigest()
    assert manifest.body.sha256 == hashlib.sha256(data).digest()
    assert (manifest.content_type, manifest.metadata, manifest.headers) == ("x/y", {"m": "1"}, {"cache-control": "no"})
    assert read(service, "bkt", "dir/obj.bin") == data
    for start, end in [(0, 1), (1000, 3000), (1024, 2048), (len(data) - 1, len(data)), (5000, 10**9)]:
        assert read(service, "bkt", "dir/obj.bin", start=start, end=end) == data[start:end]
    with pytest.raises(InvalidRange):
        read(service, "bkt", "dir/obj.bin", start=len(data))


def test_empty_object_and_missing_key(service: BucketService) -> None:
    service.create_bucket("bkt")
    put(service, "bkt", "empty", b"")
    assert read(service, "bkt", "empty") == b""
    assert service.head_object("bkt", "empty")[0].etag == hashlib.md5(b"").hexdigest()
    with pytest.raises(NoSuchKey):
        service.head_object("bkt", "missing")
    with pytest.raises(KeyTooLong):
        put(service, "bkt", "k" * 1025, b"x")


def test_corrupted_block_is_detected_and_names_its_cid(service: BucketService) -> None:
    service.create_bucket("bkt")
    put(service, "bkt", "victim", b"a" * 3000)
    put(service, "bkt", "bystander", b"b" * 3000)
    manifest, _ = service.head_object("bkt", "victim")
    victim_chunk = next(spans(service.store, manifest.body.format, manifest.body.root, 0, 1)).cid
    loc = service.registry.locate(victim_chunk)
    assert loc is not None
    byte = service.blobs.read(loc.blob, loc.offset + 5, 1)
    overwrite(service.registry, service.blobs, loc.blob, loc.offset + 5, bytes([byte[0] ^ 0xFF]))
    service.store.clear_cache()
    with pytest.raises(BlockHashMismatchError) as info:
        read(service, "bkt", "victim")
    assert info.value.cid == victim_chunk
    assert read(service, "bkt", "bystander") == b"b" * 3000


def test_copy_reuses_chunks(service: BucketService) -> None:
    service.create_bucket("src")
    service.create_bucket("dst")
    data = os.urandom(4096)
    put(service, "src", "a", data, metadata={"keep": "me"})
    result = service.copy_object("src", "a", "dst", "bkt")
    assert read(service, "dst", "bkt") == data
    assert result.manifest is not None and result.manifest.metadata == {"keep": "me"}
    assert not [c for c in newest_car_blocks(service) if c.codec == RAW]  # no body bytes written again
    replaced = service.copy_object("src", "a", "dst", "c", replace={"metadata": {"new": "1"}, "content_type": "t/x"})
    assert replaced.manifest is not None and replaced.manifest.metadata == {"new": "1"}


def test_batch_delete_and_tags(service: BucketService) -> None:
    service.create_bucket("bkt")
    for i in range(10):
        put(service, "bkt", f"k{i}", b"x")
    before = service.head_bucket("bkt").seq
    service.delete_objects("bkt", [f"k{i}" for i in range(0, 10, 2)] + ["never-there"])
    assert service.head_bucket("bkt").seq == before + 1  # one commit
    page = service.list_objects("bkt")
    assert [k for k, _ in page.entries] == [f"k{i}" for i in range(1, 10, 2)]
    service.set_object_tags("bkt", "k1", {"team": "a"})
    assert service.head_object("bkt", "k1")[0].tags == {"team": "a"}
    with pytest.raises(NoSuchKey):
        service.set_object_tags("bkt", "k0", {"team": "a"})


def test_listing_pages_never_repeat_or_skip(service: BucketService) -> None:
    service.create_bucket("bkt")
    keys = sorted([f"photos/{y}/{i:03d}.jpg" for y in (2023, 2024) for i in range(15)] + ["readme", "z/x", "z/y"])
    for key in keys:
        put(service, "bkt", key, key.encode())
    seen_keys: list[str] = []
    seen_prefixes: list[str] = []
    token = ""
    while True:
        page = service.list_objects("bkt", delimiter="/", start_after=token, max_keys=1)
        seen_keys += [k for k, _ in page.entries]
        seen_prefixes += page.prefixes
        assert [e.key for _, e in page.entries] == [k for k, _ in page.entries]
        if not page.truncated:
            break
        assert page.last is not None
        token = page.last
    assert seen_keys == ["readme"] and seen_prefixes == ["photos/", "z/"]
    collected: list[str] = []
    token = ""
    while True:
        page = service.list_objects("bkt", prefix="photos/2024/", start_after=token, max_keys=4)
        collected += [k for k, _ in page.entries]
        if not page.truncated:
            break
        token = page.last or ""
    assert collected == [k for k in keys if k.startswith("photos/2024/")]


def test_conditional_writes(service: BucketService) -> None:
    service.create_bucket("bkt")
    first = put(service, "bkt", "k", b"one", if_none_match="*")
    with pytest.raises(PreconditionFailed):
        put(service, "bkt", "k", b"two", if_none_match="*")
    with pytest.raises(PreconditionFailed):
        put(service, "bkt", "k", b"two", if_match='"0123"')
    assert first.manifest is not None
    put(service, "bkt", "k", b"two", if_match=f'"{first.manifest.etag}"')
    assert read(service, "bkt", "k") == b"two"
    with pytest.raises(NoSuchKey):
        put(service, "bkt", "absent", b"x", if_match="*")


def test_only_a_conditional_overwrite_reads_the_manifest_it_replaces(
    service: BucketService, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.create_bucket("bkt")
    first = put(service, "bkt", "k", b"one")
    assert first.manifest is not None
    read_manifests: list[object] = []
    original = service.manifest

    def counting(cid):  # type: ignore[no-untyped-def]
        read_manifests.append(cid)
        return original(cid)

    monkeypatch.setattr(service, "manifest", counting)
    put(service, "bkt", "k", b"two")
    assert read_manifests == []  # an unconditional overwrite needs nothing of the old object
    put(service, "bkt", "k", b"three", if_none_match='"0123"')
    assert len(read_manifests) == 1
    assert read(service, "bkt", "k") == b"three"


def test_racing_conditional_writers_exactly_one_wins(service: BucketService) -> None:
    service.create_bucket("bkt")
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            put(service, "bkt", "lock", f"writer {n}".encode(), if_none_match="*")
            outcomes.append(f"won {n}")
        except PreconditionFailed:
            outcomes.append("lost")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1 and outcomes.count("lost") == 7
    assert read(service, "bkt", "lock") == f"writer {winners[0].split()[1]}".encode()


def test_snapshots_read_old_roots_and_diff(service: BucketService) -> None:
    service.create_bucket("bkt")
    service.create_bucket("other")
    v1 = put(service, "bkt", "k", b"version 1").root
    put(service, "bkt", "new", b"n")
    v3 = put(service, "bkt", "k", b"version 2").root
    assert read(service, "bkt", "k", root=v1) == b"version 1"
    assert read(service, "bkt", "k") == b"version 2"
    with pytest.raises(NoSuchKey):
        service.head_object("bkt", "new", v1)
    changes = list(diff(service, "bkt", v1, v3))
    assert [(c.key, c.old is None, c.new is None) for c in changes] == [(b"k", False, False), (b"new", True, False)]
    with pytest.raises(NoSuchSnapshot):
        service.head_object("other", "k", v1)  # a root of another bucket is not readable through this one


def test_export_and_import_round_trip(service: BucketService, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service.create_bucket("bkt")
    objects = {f"k{i}": os.urandom(100 * i) for i in range(12)}
    for key, data in objects.items():
        put(service, "bkt", key, data)
    up = service.multipart.create("bkt", "multi")
    service.multipart.min_part_size = 1
    parts = [service.multipart.upload_part("bkt", up, n, io.BytesIO(bytes([n]) * 1500)) for n in (1, 2)]
    service.multipart.complete("bkt", up, [(p.part_number, p.etag) for p in parts])
    path = tmp_path / "b.car"
    with open(path, "wb") as fh:
        root, count = export_car(service, "bkt", fh)
    assert root == service.head_bucket("bkt").root
    with open(path, "rb") as fh:
        reader = CarReader(fh)
        blocks = list(reader)  # verifies every block
    assert reader.roots == [root] and len(blocks) == count == len({b.cid for b in blocks})
    fresh = BucketService.open(str(tmp_path / "fresh"), chunk_size=1024)
    with open(path, "rb") as fh:
        assert import_car(fresh, fh, "copy") == root
    for key, data in objects.items():
        assert read(fresh, "copy", key) == data
    assert read(fresh, "copy", "multi") == b"\x01" * 1500 + b"\x02" * 1500
    fresh.close()


def test_a_second_data_dir_on_one_registry_without_forge_is_refused(registry_url: str, tmp_path: Path) -> None:
    """Without Forge the registry's blobs are in one data dir: another is refused at open,
    naming both stores, and the first keeps working (and may open again)."""
    first = BucketService.open(str(tmp_path / "first"), registry_url)
    first.create_bucket("shared")
    put(first, "shared", "k", b"v")
    first.close()
    with pytest.raises(StorageError, match=r"without Forge one registry serves one data dir") as refused:
        BucketService.open(str(tmp_path / "second"), registry_url)
    store = (tmp_path / "first" / "store-id").read_text().strip()
    assert f"store {store}" in str(refused.value)
    again = BucketService.open(str(tmp_path / "first"), registry_url)
    try:
        assert read(again, "shared", "k") == b"v"
    finally:
        again.close()
