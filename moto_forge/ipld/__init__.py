"""IPLD basics: CIDs, strict DAG-CBOR, CARv1, block sources. Pure: no I/O but streams."""

from moto_forge.ipld.blocks import BlockSource, MemoryBlocks
from moto_forge.ipld.cid import CAR, CID, DAG_CBOR, RAW, SHA2_256

__all__ = ["CAR", "CID", "DAG_CBOR", "RAW", "SHA2_256", "BlockSource", "MemoryBlocks"]
