"""One write's CAR: hashed as it grows, rewind, finish, and its sharded-DAG index."""

import os
from pathlib import Path

from moto_forge.blocks import LocalBlobStore, PendingCar
from moto_forge.blocks.carfile import MAX_PENDING_HASHES, THREADED_HASH_BYTES, WRITE_BUFFER_BYTES
from moto_forge.blocks.index import INDEX_VERSION, decode_index
from moto_forge.ipld import dagcbor
from moto_forge.ipld.car import read_car
from moto_forge.ipld.cid import CAR, CID, DAG_CBOR, RAW, multihash_string


def block(data: bytes, codec: int = RAW) -> tuple[CID, bytes]:
    return CID.compute(codec, data), data


def test_finish_writes_a_valid_car_and_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blobs = LocalBlobStore(str(tmp_path))
    chunk = block(b"chunk")
    node = block(dagcbor.encode({"e": [], "l": None}), DAG_CBOR)
    with PendingCar(blobs) as car:
        car.add(*chunk)
        car.add(*chunk)  # repeats are written once
        mark = car.mark()
        car.add(*block(b"dropped on retry"))
        car.rewind(mark)
        car.add(*node)
        stored = car.finish(node[0])
    raw = Path(blobs.path(stored.car.multihash)).read_bytes()
    assert stored.car.multihash == multihash_string(CID.compute(CAR, raw))
    roots, blocks = read_car(raw)
    # No roots in a data CAR (the index names its root): see moto_forge/blocks/carfile.py.
    assert roots == [] and [(b.cid, b.data) for b in blocks] == [chunk, node]
    for loc in stored.car.locations:
        assert raw[loc.offset : loc.offset + loc.length] == dict([chunk, node])[loc.cid]
    index_raw = Path(blobs.path(stored.index.multihash)).read_bytes()
    content, shards = decode_index(index_raw)
    assert content == node[0] and len(shards) == 1
    assert shards[0].shard == CID.compute(CAR, raw).multihash
    assert shards[0].slices == {loc.cid.multihash: (loc.offset, loc.length) for loc in stored.car.locations}
    root_block = dagcbor.decode(read_car(index_raw)[1][0].data)
    assert list(root_block) == [INDEX_VERSION]
    slices = dagcbor.decode(read_car(index_raw)[1][1].data)[1]
    assert [s[0] for s in slices] == sorted(s[0] for s in slices)  # sorted by multihash bytes
    assert stored.index.shard == stored.car.multihash
    assert blobs.temp_files() == []


def test_large_blocks_hash_on_a_thread_and_rewind_restores_the_hash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Blocks big enough for the hashing thread, more of them than it may hold, a rewind
    across threaded writes, then small writes: the blob name is still the file's SHA-256."""
    blobs = LocalBlobStore(str(tmp_path))
    chunks = [block(os.urandom(THREADED_HASH_BYTES + i)) for i in range(MAX_PENDING_HASHES * 3)]
    with PendingCar(blobs) as car:
        for chunk in chunks:
            car.add(*chunk)
        mark = car.mark()
        car.add(*block(os.urandom(THREADED_HASH_BYTES * 2)))  # dropped by the rewind
        car.add(*block(b"small, dropped too"))
        car.rewind(mark)
        node = block(dagcbor.encode({"e": [], "l": None}), DAG_CBOR)
        car.add(*node)
        first = car.finish(node[0])
        car.rewind(mark)  # a lost compare-and-swap: finish again on other nodes
        other = block(dagcbor.encode({"e": [], "l": chunks[0][0]}), DAG_CBOR)
        car.add(*other)
        second = car.finish(other[0])
    for stored, last in ((first, node), (second, other)):
        raw = Path(blobs.path(stored.car.multihash)).read_bytes()
        assert stored.car.multihash == multihash_string(CID.compute(CAR, raw))
        assert [(b.cid, b.data) for b in read_car(raw)[1]] == [*chunks, last]


def test_small_blocks_are_gathered_and_land_in_order_around_large_ones(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Small blocks reach the file in one write, in order with large ones; a rewind
    drops gathered bytes too; finish, rewind and finish again of an all-small CAR."""
    blobs = LocalBlobStore(str(tmp_path))
    writes: list[int] = []
    real_write = os.write

    def counting_write(fd: int, data: bytes) -> int:
        writes.append(len(data))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", counting_write)
    small = [block(f"small {i}".encode()) for i in range(6)]
    with PendingCar(blobs) as car:
        for chunk in small:
            car.add(*chunk)
        node = block(dagcbor.encode({"e": [], "l": None}), DAG_CBOR)
        car.add(*node)
        stored = car.finish(node[0])
    assert len(writes) == 2  # the whole CAR, then its index
    raw = Path(blobs.path(stored.car.multihash)).read_bytes()
    assert [(b.cid, b.data) for b in read_car(raw)[1]] == [*small, node]

    big = block(os.urandom(WRITE_BUFFER_BYTES + 1))
    with PendingCar(blobs) as car:
        car.add(*small[0])
        car.add(*big)  # gathered bytes go first
        car.add(*small[1])
        mark = car.mark()
        car.add(*small[2])  # only gathered, never written: dropped by the rewind
        car.rewind(mark)
        first = car.finish(node[0])
        car.rewind(mark)  # the CAR is a blob now: the rewind goes on in a copy
        car.add(*small[3])
        second = car.finish(small[3][0])
    for stored_car, tail in ((first, []), (second, [small[3]])):
        raw = Path(blobs.path(stored_car.car.multihash)).read_bytes()
        assert stored_car.car.multihash == multihash_string(CID.compute(CAR, raw))
        assert [(b.cid, b.data) for b in read_car(raw)[1]] == [small[0], big, small[1], *tail]
        for loc in stored_car.car.locations:
            assert raw[loc.offset : loc.offset + loc.length] == dict([small[0], big, small[1], *tail])[loc.cid]
