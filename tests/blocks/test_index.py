"""The sharded-DAG index blocks (moto_forge/blocks/index.py), written directly, against the
generic DAG-CBOR encoder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from moto_forge.blocks.index import (
    INDEX_VERSION,
    ShardIndex,
    decode_index,
    encode_index,
    encode_index_root,
    encode_shard,
)
from moto_forge.ipld import dagcbor
from moto_forge.ipld.cid import CID, DAG_CBOR, RAW


@given(
    st.binary(min_size=1, max_size=40),
    st.dictionaries(
        st.binary(min_size=1, max_size=40), st.tuples(st.integers(0, 2**40), st.integers(0, 2**32)), max_size=30
    ),
    st.lists(st.binary(max_size=20), max_size=5),
)
def test_the_index_blocks_written_directly_are_the_generic_encoders_bytes(
    shard: bytes, slices: dict[bytes, tuple[int, int]], seeds: list[bytes]
) -> None:
    """``encode_shard`` and ``encode_index_root`` write the bytes :func:`dagcbor.encode`
    gives for the same values (and ``decode_index`` reads them back)."""
    index = ShardIndex(shard, slices)
    generic = dagcbor.encode([shard, [[mh, [off, length]] for mh, (off, length) in sorted(slices.items())]])
    assert encode_shard(index) == generic
    links = [CID.compute(DAG_CBOR, seed) for seed in seeds]
    content = CID.compute(RAW, shard)
    assert encode_index_root(content, links) == dagcbor.encode({INDEX_VERSION: {"content": content, "shards": links}})
    _, car = encode_index(content, [index])
    assert decode_index(car) == (content, [index])
