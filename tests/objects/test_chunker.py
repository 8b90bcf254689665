import hashlib
import io
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moto_forge.errors import ManifestError
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, RAW
from moto_forge.objects.body import FIXED_V1, spans
from moto_forge.objects.chunker import MIN_CHUNK_SIZE, chunk_stream

CS = MIN_CHUNK_SIZE


class TrickleStream:
    """A stream that returns at most ``step`` bytes per read, like a socket."""

    def __init__(self, data: bytes, step: int) -> None:
        self._buf = io.BytesIO(data)
        self._step = step

    def read(self, size: int = -1) -> bytes:
        return self._buf.read(min(size, self._step) if size >= 0 else self._step)


class Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)


def reassemble(store: MemoryBlocks, root: CID, start: int, end: int) -> bytes:
    return b"".join(store.get(s.cid)[s.start : s.end] for s in spans(store, FIXED_V1, root, start, end))


@pytest.mark.parametrize("size", [0, 1, CS - 1, CS, CS + 1, 5 * CS, 5 * CS + 7])
def test_digests_and_chunks(size: int) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    store = MemoryBlocks()
    seen: list[CID] = []

    def sink(cid: CID, block: bytes) -> None:
        seen.append(cid)
        store.put(cid, block)

    crc = Crc32()
    body = chunk_stream(io.BytesIO(data), sink, CS, [crc])
    assert body.size == size
    assert body.md5 == hashlib.md5(data).digest()
    assert body.sha256 == hashlib.sha256(data).digest()
    assert crc.value == zlib.crc32(data)
    assert body.chunk_count == -(-size // CS)
    chunk_cids = [c for c in seen if c.codec == RAW]
    assert chunk_cids == [CID.compute(RAW, data[i : i + CS]) for i in range(0, size, CS)]
    assert seen[-1] == body.root  # the index comes after the chunks
    assert reassemble(store, body.root, 0, size) == data


@given(st.binary(max_size=6 * CS), st.integers(1, 3 * CS), st.data())
def test_short_reads_and_any_range(data: bytes, step: int, draw: st.DataObject) -> None:
    store = MemoryBlocks()
    body = chunk_stream(TrickleStream(data, step), store.put, CS)
    assert body.md5 == hashlib.md5(data).digest()
    start = draw.draw(st.integers(0, len(data)))
    end = draw.draw(st.integers(start, len(data)))
    assert reassemble(store, body.root, start, end) == data[start:end]


def test_rejects_bad_chunk_sizes() -> None:
    with pytest.raises(ManifestError):
        chunk_stream(io.BytesIO(b"x"), lambda c, d: None, 10)
