"""The sharded-DAG index blob (``index/sharded/dag@0.1``) that accompanies each CAR.

Root block: ``{"index/sharded/dag@0.1": {content: Link, shards: [Link]}}``.
Each shard block is the tuple ``[shard multihash, [[slice multihash, [offset, length]], ...]]``
with slices sorted by their multihash bytes; ``offset`` is where the block
data starts in the shard (after the varint and CID), ``length`` its size.
The index blob is a CARv1 rooted at the root block.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from moto_forge.errors import CodecError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.car import encode_car, read_variant_car
from moto_forge.ipld.cid import CID, DAG_CBOR

INDEX_VERSION = "index/sharded/dag@0.1"


@dataclass(frozen=True, slots=True)
class ShardIndex:
    """Where each block (by multihash) sits in one shard (by multihash)."""

    shard: bytes
    slices: dict[bytes, tuple[int, int]]


def encode_index(content: CID, shards: Iterable[ShardIndex]) -> tuple[CID, bytes]:
    """The index CAR for ``content`` over ``shards``; returns (root CID, CAR bytes)."""
    blocks: list[tuple[CID, bytes]] = []
    links = []
    for shard in shards:
        data = encode_shard(shard)
        cid = CID.compute(DAG_CBOR, data)
        blocks.append((cid, data))
        links.append(cid)
    root_data = encode_index_root(content, links)
    root = CID.compute(DAG_CBOR, root_data)
    return root, encode_car([root], [(root, root_data), *blocks])


_PAIR = b"\x82"  # a two-element array: [shard, slices], [slice, position], [offset, length]
_ROOT_HEAD = dagcbor.encode({INDEX_VERSION: {}})[:-1] + b"\xa2\x66shards"  # {version: {shards, content}}
_CONTENT_KEY = b"\x67content"


def encode_shard(shard: ShardIndex) -> bytes:
    """A shard block's bytes: what :func:`dagcbor.encode` gives for ``[shard, [[mh, [offset,
    length]], ...]]`` with the slices sorted by multihash, written directly (every write
    encodes one; the generic encoder's dispatch was most of an index's cost).  The tests
    compare it with the generic encoder."""
    head = dagcbor.write_head
    out = bytearray(_PAIR)
    head(2, len(shard.shard), out)
    out += shard.shard
    head(4, len(shard.slices), out)
    for mh, (offset, length) in sorted(shard.slices.items()):
        out += _PAIR
        head(2, len(mh), out)
        out += mh
        out += _PAIR
        head(0, offset, out)
        head(0, length, out)
    return bytes(out)


def encode_index_root(content: CID, shards: list[CID]) -> bytes:
    """The index root block's bytes, ``{"index/sharded/dag@0.1": {content, shards}}`` as
    :func:`dagcbor.encode` gives them (map keys by length, then bytes: ``shards`` first)."""
    out = bytearray(_ROOT_HEAD)
    dagcbor.write_head(4, len(shards), out)
    for link in shards:
        dagcbor.write_link(link, out)
    out += _CONTENT_KEY
    dagcbor.write_link(content, out)
    return bytes(out)


def decode_index(car: bytes) -> tuple[CID, list[ShardIndex]]:
    """Read an index CAR (verified); return its content root and shards."""
    _, body, by_cid = read_variant_car(car, INDEX_VERSION)
    if not isinstance(body, dict) or not isinstance(body.get("content"), CID):
        raise CodecError(f"index root is not {INDEX_VERSION}")
    shards = []
    for link in body.get("shards", []):
        if link not in by_cid:
            raise CodecError(f"index shard block {link} missing")
        value = dagcbor.decode(by_cid[link])
        try:
            mh, slices = value
            shards.append(ShardIndex(mh, {s: (p[0], p[1]) for s, p in slices}))
        except (TypeError, ValueError, IndexError) as exc:
            raise CodecError(f"index shard block {link} is not [multihash, slices]") from exc
    return body["content"], shards
