"""Damage a stored blob the way a disk does, wherever the store keeps it: its file, or
(a small blob on the embedded store) its bytes held inline in the registry."""

from __future__ import annotations

import os

from moto_forge.blocks.blobstore import LocalBlobStore
from moto_forge.registry import Registry


def overwrite(registry: Registry, blobs: LocalBlobStore, name: str, offset: int, data: bytes) -> None:
    """Replace ``len(data)`` bytes of blob ``name`` at ``offset`` with ``data``."""
    if blobs.has_file(name):
        with open(blobs.path(name), "r+b") as file:
            file.seek(offset)
            file.write(data)
        return
    p = registry.db.param
    row = registry.db.execute_sql(f"SELECT data FROM blob_inline WHERE multihash = {p}", (name,)).fetchone()
    assert row is not None, f"blob {name} is neither a file nor inline"
    held = bytes(row[0])
    damaged = held[:offset] + data + held[offset + len(data) :]
    with registry.db.atomic():
        registry.db.execute_sql(f"UPDATE blob_inline SET data = {p} WHERE multihash = {p}", (damaged, name))


def lose(registry: Registry, blobs: LocalBlobStore, name: str) -> None:
    """Make blob ``name`` vanish from the store (its file, or its inline bytes)."""
    if blobs.has_file(name):
        os.unlink(blobs.path(name))
        return
    p = registry.db.param
    with registry.db.atomic():
        gone = registry.db.execute_sql(f"DELETE FROM blob_inline WHERE multihash = {p}", (name,)).rowcount
    assert gone == 1, f"blob {name} is neither a file nor inline"
