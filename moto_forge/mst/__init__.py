"""Merkle Search Tree with S3 keys, byte-compatible with atproto's MST.

Terminology
    key      the S3 object key as UTF-8 bytes (1..1024 bytes).
    value    the CID of the object's manifest.
    layer    floor(leading zero bits of SHA-256(key) / 2): fanout 4.  A key
             lives in a node on its layer; the root is on the highest layer.
    node     ``{e: [entries], l: left}``: entries sorted by key, ``l`` the
             subtree of keys before the first entry.
    entry    ``{k, p, t, v}``: ``p`` bytes shared with the previous key of the
             node, ``k`` the rest, ``v`` the value, ``t`` the subtree of keys
             between this entry and the next.
    gap      the subtree before entry i: ``l`` for i = 0, else entry i-1's ``t``.
    pointer  a child in memory: a built :class:`Node`, a :class:`CID` not yet
             loaded, or ``None`` (empty subtree, written as null).

Tricky bits
    * The shape depends only on the set of keys, never on the order of writes,
      so a root CID names a bucket's contents exactly.  The empty tree is the
      node ``{e: [], l: null}`` (``bafyreie5737...``), not "no root".
    * Subtrees are always exactly one layer down.  Where a layer has no keys
      between two higher keys but lower layers do, an entry-less node
      ``{e: [], l: child}`` stands in for it.  Only the root is trimmed of such
      nodes; an empty subtree is a null link, never an empty node.
    * Putting a key on a higher layer than the root grows the root through
      entry-less nodes, then splits the gap the key lands in, recursively down.
      Deleting merges the two subtrees the key separated, recursively down.
    * Keys can be mined to share a layer and pile into one wide node, which
      every write then rewrites.  :data:`MAX_NODE_ENTRIES` bounds that work;
      depth needs no bound (a layer-20 key costs ~2**40 hashes to mine).
    * Prefix lengths are counted in bytes, so non-ASCII keys compress by byte.
"""

from moto_forge.mst.keys import MAX_KEY_BYTES, common_prefix_len, key_bytes, key_layer
from moto_forge.mst.node import MAX_NODE_ENTRIES, Node, NodeLoader
from moto_forge.mst.tree import MST
from moto_forge.mst.walk import Change

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_NODE_ENTRIES",
    "MST",
    "Change",
    "Node",
    "NodeLoader",
    "common_prefix_len",
    "key_bytes",
    "key_layer",
]
