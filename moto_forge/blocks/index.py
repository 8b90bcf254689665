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
        slices = [[mh, [off, length]] for mh, (off, length) in sorted(shard.slices.items())]
        data = dagcbor.encode([shard.shard, slices])
        cid = CID.compute(DAG_CBOR, data)
        blocks.append((cid, data))
        links.append(cid)
    root_data = dagcbor.encode({INDEX_VERSION: {"content": content, "shards": links}})
    root = CID.compute(DAG_CBOR, root_data)
    return root, encode_car([root], [(root, root_data), *blocks])


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
