"""The block-source interface the pure layers read through, and an in-memory store.

``ipld`` and ``mst`` never open files or sockets: they ask a
:class:`BlockSource` for bytes by CID.  Contract for every implementation:
``get`` returns bytes that hash to ``cid`` (it verifies, or its own writer
did) or raises :class:`MissingBlockError` / :class:`BlockHashMismatchError`
naming the CID; ``get_or_none`` is the same but returns ``None`` when absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from moto_forge.errors import MissingBlockError
from moto_forge.ipld.cid import CID


class BlockSource(Protocol):
    """Read-only access to blocks by CID (see the module contract)."""

    def get(self, cid: CID) -> bytes: ...


class MemoryBlocks:
    """A dict of verified blocks: the store for pure-layer tests and in-memory trees."""

    def __init__(self, blocks: Iterable[tuple[CID, bytes]] = ()) -> None:
        self._blocks: dict[CID, bytes] = {}
        for cid, data in blocks:
            self.put(cid, data)

    def put(self, cid: CID, data: bytes) -> None:
        """Store ``data`` under ``cid`` after checking that it hashes to it."""
        cid.verify(data)
        self._blocks[cid] = bytes(data)

    def put_many(self, blocks: Iterable[tuple[CID, bytes]]) -> None:
        for cid, data in blocks:
            self.put(cid, data)

    def get(self, cid: CID) -> bytes:
        data = self._blocks.get(cid)
        if data is None:
            raise MissingBlockError(cid, "memory")
        return data

    def get_or_none(self, cid: CID) -> bytes | None:
        return self._blocks.get(cid)

    def __contains__(self, cid: object) -> bool:
        return cid in self._blocks

    def __len__(self) -> int:
        return len(self._blocks)

    def __iter__(self) -> Iterator[CID]:
        return iter(self._blocks)
