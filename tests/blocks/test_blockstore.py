"""Verified reads: the block store never returns bytes that do not match the CID."""

import pytest

from moto_forge.blocks import BlockStore, LocalBlobStore, PendingCar
from moto_forge.errors import BlockHashMismatchError, MissingBlockError
from moto_forge.ipld.cid import CID, DAG_CBOR, EMPTY_RAW_IDENTITY, RAW
from moto_forge.registry import Registry


def test_reads_verify_and_name_the_cid(registry_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    blobs = LocalBlobStore(str(tmp_path / "blobs"))
    registry = Registry(registry_url)
    good = (CID.compute(RAW, b"good bytes"), b"good bytes")
    bad = (CID.compute(RAW, b"will be flipped"), b"will be flipped")
    root = CID.compute(DAG_CBOR, b"\xa0")
    with PendingCar(blobs) as car:
        car.add(*good)
        car.add(*bad)
        stored = car.finish(root)
    registry.add_blobs(stored.records)
    store = BlockStore(registry, blobs)
    assert store.get(good[0]) == good[1]
    loc = registry.locate(bad[0])
    assert loc is not None
    with open(blobs.path(loc.blob), "r+b") as fh:
        fh.seek(loc.offset)
        fh.write(b"W")
    with pytest.raises(BlockHashMismatchError) as mismatch:
        store.get(bad[0])
    assert mismatch.value.cid == bad[0]
    missing = CID.compute(RAW, b"never stored")
    with pytest.raises(MissingBlockError) as absent:
        store.get(missing)
    assert absent.value.cid == missing
    assert store.get(EMPTY_RAW_IDENTITY) == b""


def test_get_many_reads_ahead_in_order_and_still_verifies(registry_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    blobs = LocalBlobStore(str(tmp_path / "blobs"))
    registry = Registry(registry_url)
    chunks = [(CID.compute(RAW, b"chunk %d" % i), b"chunk %d" % i) for i in range(8)]
    with PendingCar(blobs) as car:
        for chunk in chunks:
            car.add(*chunk)
        stored = car.finish(CID.compute(DAG_CBOR, b"\xa0"))
    registry.add_blobs(stored.records)
    store = BlockStore(registry, blobs)
    cids = [cid for cid, _ in chunks]
    assert list(store.get_many(cids)) == [data for _, data in chunks]
    assert list(store.get_many([cids[0], EMPTY_RAW_IDENTITY, cids[1]])) == [chunks[0][1], b"", chunks[1][1]]
    assert list(store.get_many(cids[:1])) == [chunks[0][1]] and list(store.get_many([])) == []
    early = store.get_many(cids)
    assert next(early) == chunks[0][1]
    early.close()  # a client gone mid-body: reads in flight end, nothing hangs
    loc = registry.locate(cids[5])
    assert loc is not None
    with open(blobs.path(loc.blob), "r+b") as fh:
        fh.seek(loc.offset)
        fh.write(b"X")
    got = []
    with pytest.raises(BlockHashMismatchError) as mismatch:
        for data in store.get_many(cids):
            got.append(data)
    assert mismatch.value.cid == cids[5] and got == [data for _, data in chunks[:5]]


def test_local_blocks_are_checked_by_their_crc_and_fsck_reads_check_cids(registry_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A written block's CRC32C is recorded and checks local reads; a location without one,
    a blob fetched over the network and ``verifying_cids()`` check the CID's hash instead:
    a forged registry CRC that matches rewritten bytes fools only the CRC path."""
    from awscrt.checksums import crc32c

    from moto_forge.registry import BlobRecord, BlockLocation

    blobs = LocalBlobStore(str(tmp_path / "blobs"))
    registry = Registry(registry_url)
    data = b"bytes with a crc"
    cid = CID.compute(RAW, data)
    with PendingCar(blobs) as car:
        car.add(cid, data)
        stored = car.finish(CID.compute(DAG_CBOR, b"\xa0"))
    registry.add_blobs(stored.records)
    loc = registry.locate(cid)
    assert loc is not None and loc.crc == crc32c(data)
    store = BlockStore(registry, blobs)
    assert store.get(cid) == data

    with open(blobs.path(loc.blob), "r+b") as fh:  # bit rot: the CRC catches it
        fh.seek(loc.offset)
        fh.write(b"B")
    with pytest.raises(BlockHashMismatchError, match="CRC32C"):
        BlockStore(registry, blobs).get(cid)

    forged = b"Bytes with a crc"  # what the file now holds; a row whose CRC matches it
    registry.db.execute_sql("UPDATE block SET crc = ?" if registry.db.param == "?" else "UPDATE block SET crc = %s",
                            (crc32c(forged),))  # fmt: skip
    assert BlockStore(registry, blobs).get(cid) == forged  # the CRC path is not a signature
    with pytest.raises(BlockHashMismatchError):
        BlockStore(registry, blobs).verifying_cids().get(cid)  # fsck's reads: the CID decides
    blobs.fetched.add(loc.blob)  # as if fetched from Forge by this process
    with pytest.raises(BlockHashMismatchError):
        BlockStore(registry, blobs).get(cid)
    blobs.fetched.clear()
    registry.db.execute_sql("UPDATE block SET crc = NULL")  # a location from before v9
    with pytest.raises(BlockHashMismatchError):
        BlockStore(registry, blobs).get(cid)
    assert BlockLocation(cid, loc.blob, loc.offset, loc.length) == registry.locate(cid)
    assert isinstance(stored.car, BlobRecord)


class CountingRegistry:
    """A registry whose ``locate`` calls are counted (everything else passes through)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self.located: list[CID] = []

    def locate(self, cid: CID):  # type: ignore[no-untyped-def]
        self.located.append(cid)
        return self._registry.locate(cid)


def test_small_raw_blocks_are_kept_after_their_check_and_large_ones_are_not(  # type: ignore[no-untyped-def]
    registry_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto_forge.blocks import blockstore

    monkeypatch.setattr(blockstore, "SMALL_RAW_BYTES", 16)
    blobs = LocalBlobStore(str(tmp_path / "blobs"))
    registry = Registry(registry_url)
    small, large = b"small body", b"a body longer than sixteen bytes"
    with PendingCar(blobs) as car:
        for data in (small, large):
            car.add(CID.compute(RAW, data), data)
        stored = car.finish(CID.compute(DAG_CBOR, b"\xa0"))
    registry.add_blobs(stored.records)
    counting = CountingRegistry(registry)
    store = BlockStore(counting, blobs)  # type: ignore[arg-type]
    small_cid, large_cid = CID.compute(RAW, small), CID.compute(RAW, large)
    for _ in range(3):
        assert store.get(small_cid) == small and store.get(large_cid) == large
        assert list(store.get_many([small_cid, large_cid])) == [small, large]
    assert counting.located.count(small_cid) == 1  # then from memory, get and get_many alike
    assert counting.located.count(large_cid) == 6
    fsck = store.verifying_cids()
    fsck.get(small_cid)
    fsck.get(small_cid)
    assert counting.located.count(small_cid) == 3  # fsck's store keeps nothing
    store.clear_cache()
    store.get(small_cid)
    assert counting.located.count(small_cid) == 4


def test_the_small_raw_cache_stays_within_its_bytes(registry_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    blobs = LocalBlobStore(str(tmp_path / "blobs"))
    registry = Registry(registry_url)
    chunks = [bytes([i]) * 100 for i in range(10)]
    with PendingCar(blobs) as car:
        for data in chunks:
            car.add(CID.compute(RAW, data), data)
        stored = car.finish(CID.compute(DAG_CBOR, b"\xa0"))
    registry.add_blobs(stored.records)
    counting = CountingRegistry(registry)
    store = BlockStore(counting, blobs, raw_cache_bytes=350)  # type: ignore[arg-type]
    cids = [CID.compute(RAW, data) for data in chunks]
    for cid in cids:
        store.get(cid)
    for cid in cids[-3:]:  # the three most recent fit: no lookup
        store.get(cid)
    assert len(counting.located) == 10
    store.get(cids[0])  # long since dropped
    assert len(counting.located) == 11
