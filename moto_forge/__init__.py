"""moto_forge: an S3 server on moto whose buckets are Merkle Search Trees.

Layers, each knowing only the one below it (see ``docs/architecture.md``)::

    ipld/     CIDs, strict DAG-CBOR, CARv1          (pure: bytes in, bytes out)
    mst/      atproto Merkle Search Tree, S3 keys    (pure, blocks through a BlockSource)
    objects/  chunker and object manifests           (pure)
"""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name == "mock_forge":  # imported lazily: it pulls in moto and the server
        from moto_forge.mock import mock_forge

        return mock_forge
    raise AttributeError(name)
