import io

import pytest

from moto_forge.errors import ManifestError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, DAG_CBOR, RAW
from moto_forge.objects import body
from moto_forge.objects.body import (
    CONCAT_V1,
    FIXED_V1,
    FixedIndexBuilder,
    FixedNodeMemo,
    iter_links,
    spans,
    write_parts,
)
from moto_forge.objects.chunker import MIN_CHUNK_SIZE, chunk_stream

CS = MIN_CHUNK_SIZE


def test_single_level_index_is_ms3t_shape() -> None:
    store = MemoryBlocks()
    chunk_stream(io.BytesIO(b"a" * (2 * CS)), store.put, CS)
    index_blocks = [dagcbor.decode(store.get(c)) for c in store if c.codec == DAG_CBOR]
    assert len(index_blocks) == 1
    assert set(index_blocks[0]) == {"cs", "c"}
    assert index_blocks[0]["cs"] == CS


def test_empty_body_has_empty_chunk_list() -> None:
    store = MemoryBlocks()
    result = chunk_stream(io.BytesIO(b""), store.put, CS)
    assert dagcbor.decode(store.get(result.root)) == {"cs": CS, "c": []}
    assert list(spans(store, FIXED_V1, result.root, 0, 0)) == []


@pytest.mark.parametrize("nchunks", [4, 5, 16, 17, 63, 64, 65])
def test_multi_level_index(monkeypatch: pytest.MonkeyPatch, nchunks: int) -> None:
    monkeypatch.setattr(body, "INDEX_FANOUT", 4)
    store = MemoryBlocks()
    builder = FixedIndexBuilder(8, store.put)
    chunks = [bytes([i]) * 8 for i in range(nchunks)]
    for chunk in chunks:
        cid = CID.compute(RAW, chunk)
        store.put(cid, chunk)
        builder.add(cid)
    root = builder.finish()
    top = dagcbor.decode(store.get(root))
    assert len(top["c"]) <= 4
    expected_level = next(level for level in range(10) if nchunks <= 4 ** (level + 1))
    assert top.get("l", 0) == expected_level
    data = b"".join(chunks)
    for start, end in [(0, len(data)), (3, 40), (len(data) - 9, len(data)), (31, 33)]:
        start, end = min(start, len(data)), min(end, len(data))
        got = b"".join(store.get(s.cid)[s.start : s.end] for s in spans(store, FIXED_V1, root, start, end))
        assert got == data[start:end]
    assert [c for c in iter_links(store, FIXED_V1, root) if c.codec == RAW] == [CID.compute(RAW, c) for c in chunks]


def test_fanout_boundary_keeps_one_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body, "INDEX_FANOUT", 4)
    store = MemoryBlocks()
    builder = FixedIndexBuilder(8, store.put)
    for i in range(4):
        builder.add(CID.compute(RAW, bytes([i])))
    assert "l" not in dagcbor.decode(store.get(builder.finish()))


def test_concat_body_spans_parts() -> None:
    store = MemoryBlocks()
    parts_data = [b"x" * (CS + 10), b"y" * 5, b"z" * (2 * CS)]
    parts = []
    for data in parts_data:
        result = chunk_stream(io.BytesIO(data), store.put, CS)
        parts.append((result.size, result.root))
    root = write_parts(parts, store.put)
    whole = b"".join(parts_data)
    for start, end in [(0, len(whole)), (CS + 8, CS + 17), (CS + 12, len(whole) - 1)]:
        got = b"".join(store.get(s.cid)[s.start : s.end] for s in spans(store, CONCAT_V1, root, start, end))
        assert got == whole[start:end]


def test_concat_requires_parts_and_unknown_format_fails() -> None:
    with pytest.raises(ManifestError):
        write_parts([], lambda c, d: None)
    with pytest.raises(ManifestError):
        list(spans(MemoryBlocks(), "rabin-v9", CID.compute(DAG_CBOR, b""), 0, 1))


def test_index_pointing_past_its_chunks_is_an_error() -> None:
    store = MemoryBlocks()
    result = chunk_stream(io.BytesIO(b"q" * CS), store.put, CS)
    with pytest.raises(ManifestError):
        list(spans(store, FIXED_V1, result.root, 0, 2 * CS))


def test_part_checksums_are_written_only_when_given_and_read_back() -> None:
    store = MemoryBlocks()
    parts = [(5, CID.compute(RAW, b"a")), (7, CID.compute(RAW, b"b"))]
    plain = write_parts(parts, store.put)
    assert all("k" not in p for p in dagcbor.decode(store.get(plain))["p"])
    assert body.part_checksums(store, plain) == [None, None]
    keyed = write_parts(parts, store.put, ["AAAAAA==", "BBBBBB=="])
    assert body.part_checksums(store, keyed) == ["AAAAAA==", "BBBBBB=="]
    assert body.read_parts(store, keyed) == parts
    with pytest.raises(ManifestError):
        write_parts(parts, store.put, ["only-one"])


def test_a_part_list_with_a_foreign_field_is_refused() -> None:
    store = MemoryBlocks()
    data = dagcbor.encode({"p": [{"s": 1, "c": CID.compute(RAW, b"a"), "zz": 1}]})
    cid = CID.compute(DAG_CBOR, data)
    store.put(cid, data)
    with pytest.raises(ManifestError):
        body.read_parts(store, cid)


class CountingBlocks(MemoryBlocks):
    """MemoryBlocks that count reads by CID."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: dict[CID, int] = {}

    def get(self, cid: CID) -> bytes:
        self.reads[cid] = self.reads.get(cid, 0) + 1
        return super().get(cid)


@pytest.mark.parametrize("fmt", [FIXED_V1, CONCAT_V1])
def test_a_memo_gives_the_same_spans_and_decodes_small_nodes_once(fmt: str) -> None:
    store = CountingBlocks()
    data = bytes(range(256)) * (3 * CS // 256) + b"tail"
    result = chunk_stream(io.BytesIO(data), store.put, CS)
    root = result.root if fmt == FIXED_V1 else write_parts([(result.size, result.root)], store.put)
    memo = FixedNodeMemo()
    for start, end in [(0, len(data)), (5, CS + 3), (len(data) - 2, len(data))] * 2:
        remembered = list(spans(store, fmt, root, start, end, memo))
        assert remembered == list(spans(store, fmt, root, start, end))
        assert b"".join(store.get(s.cid)[s.start : s.end] for s in remembered) == data[start:end]
    memo_reads = store.reads[result.root] - 6  # the six reads without the memo
    assert memo_reads == 1


def test_a_memo_keeps_no_large_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FixedNodeMemo, "MAX_LINKS", 2)
    store = CountingBlocks()
    result = chunk_stream(io.BytesIO(b"w" * (3 * CS)), store.put, CS)
    memo = FixedNodeMemo()
    for _ in range(2):
        assert len(list(spans(store, FIXED_V1, result.root, 0, 3 * CS, memo))) == 3
    assert store.reads[result.root] == 2  # three links: read each time


def test_a_memo_remembers_only_checked_nodes() -> None:
    store = MemoryBlocks()
    bad = dagcbor.encode({"cs": 0, "c": []})
    cid = CID.compute(DAG_CBOR, bad)
    store.put(cid, bad)
    memo = FixedNodeMemo()
    for _ in range(2):
        with pytest.raises(ManifestError):
            list(spans(store, FIXED_V1, cid, 0, 1, memo))
