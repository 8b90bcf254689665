"""Vectors from shared/FORGE.md §3, computed independently of this code."""

from moto_forge.ipld import dagcbor
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, DAG_CBOR, RAW
from moto_forge.mst import MST

EMPTY_NODE_BYTES = bytes.fromhex("a2616580616cf6")
EMPTY_NODE_CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
HELLO_CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"


def test_empty_mst_node_bytes_and_cid() -> None:
    assert dagcbor.encode({"e": [], "l": None}) == EMPTY_NODE_BYTES
    assert str(CID.compute(DAG_CBOR, EMPTY_NODE_BYTES)) == EMPTY_NODE_CID
    assert str(MST.empty(MemoryBlocks()).root) == EMPTY_NODE_CID


def test_raw_hello_chunk() -> None:
    assert str(CID.compute(RAW, b"hello")) == HELLO_CID
