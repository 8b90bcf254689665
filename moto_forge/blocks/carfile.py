"""Assembling one write's CAR on disk, then storing it with its index.

A :class:`PendingCar` is a temporary file that grows as blocks arrive (body
chunks first, while the body streams in).  Its header holds a placeholder
root of the same encoded size as the real one; :meth:`PendingCar.finish`
rewrites it in place once the new root is known.  Blocks appended after a
:meth:`mark` can be dropped with :meth:`rewind` (a compare-and-swap retry
rebuilds the MST nodes on the new root and appends those instead).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass

from moto_forge.blocks.blobstore import BlobStore, start_writeback
from moto_forge.blocks.index import ShardIndex, encode_index
from moto_forge.errors import StorageError
from moto_forge.ipld.car import CarWriter, encode_header
from moto_forge.ipld.cid import CAR, CID, DAG_CBOR, multihash_string
from moto_forge.registry import BlobRecord, BlockLocation

PLACEHOLDER_ROOT = CID(DAG_CBOR, 0x12, b"\0" * 32)
"""Same encoded length as every real root (a sha2-256 dag-cbor CID)."""

HASH_READ_SIZE = 1 << 20
WRITEBACK_BYTES = 8 << 20
"""Every this many bytes appended, writeback of them starts (large bodies reach the disk
while they stream in, so the final sync is short)."""


class _File:
    """The minimal binary-stream face of an fd that :class:`CarWriter` needs."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        return len(data)


@dataclass(frozen=True, slots=True)
class StoredCar:
    """A CAR and its index, stored as blobs, ready to be recorded in the registry."""

    car: BlobRecord
    index: BlobRecord

    @property
    def records(self) -> list[BlobRecord]:
        return [self.car, self.index]


class PendingCar:
    """One write's CAR under construction (see the module docstring)."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self._fd, self._path = blobs.new_temp()
        self._writer = CarWriter(_File(self._fd), [PLACEHOLDER_ROOT])
        self._header_len = self._writer.position
        self.locations: list[BlockLocation] = []
        self._seen: set[CID] = set()
        self._closed = False
        self._written_back = self._header_len

    def add(self, cid: CID, data: bytes) -> None:
        """Append a block (once: repeats of a CID already in this CAR are skipped)."""
        if cid in self._seen:
            return
        try:
            offset, length = self._writer.add(cid, data)
        except OSError as exc:
            raise StorageError(f"cannot write block {cid} to a temporary CAR: {exc.strerror}") from exc
        self._seen.add(cid)
        self.locations.append(BlockLocation(cid, "", offset, length))
        position = self._writer.position
        if position - self._written_back >= WRITEBACK_BYTES:
            start_writeback(self._fd, self._written_back, position - self._written_back)
            self._written_back = position

    def mark(self) -> tuple[int, int]:
        return self._writer.position, len(self.locations)

    def rewind(self, mark: tuple[int, int]) -> None:
        position, count = mark
        for loc in self.locations[count:]:
            self._seen.discard(loc.cid)
        del self.locations[count:]
        os.ftruncate(self._fd, position)
        os.lseek(self._fd, position, os.SEEK_SET)
        self._writer.position = position
        self._written_back = min(self._written_back, position)

    def finish(self, root: CID) -> StoredCar:
        """Set the root, hash, and store the CAR and its index as blobs, then make both
        durable with one :meth:`BlobStore.sync`.

        After this returns both blobs are durable; recording them in the
        registry is the caller's (atomic) next step.  The temporary file stays
        open: after a lost compare-and-swap the caller may :meth:`rewind` and
        finish again.  Blobs stored by a finish the registry never recorded
        are orphans that ``gc`` removes; they are never deleted here, since an
        identical blob may belong to a committed write.
        """
        header = encode_header([root])
        if len(header) != self._header_len:
            raise StorageError(f"root {root} does not fit the CAR header placeholder")
        try:
            os.pwrite(self._fd, header, 0)
            digest = self._hash()
            car_cid = CID(CAR, 0x12, digest)
            name = multihash_string(car_cid)
            self._blobs.link_file(self._path, name, durable=False)
        except OSError as exc:
            raise StorageError(f"cannot store the CAR for root {root}: {exc.strerror}") from exc
        locations = [BlockLocation(loc.cid, name, loc.offset, loc.length) for loc in self.locations]
        car = BlobRecord(name, self._writer.position, "car", root, locations)
        index = self._store_index(root, car_cid, locations)
        self._blobs.sync([car.multihash, index.multihash])
        return StoredCar(car, index)

    def _hash(self) -> bytes:
        sha = hashlib.sha256()
        os.lseek(self._fd, 0, os.SEEK_SET)
        while True:
            data = os.read(self._fd, HASH_READ_SIZE)
            if not data:
                return sha.digest()
            sha.update(data)

    def _store_index(self, root: CID, car_cid: CID, locations: list[BlockLocation]) -> BlobRecord:
        shard = ShardIndex(car_cid.multihash, {loc.cid.multihash: (loc.offset, loc.length) for loc in locations})
        _, data = encode_index(root, [shard])
        fd, path = self._blobs.new_temp()
        try:
            try:
                _File(fd).write(data)
            finally:
                os.close(fd)
        except OSError as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise StorageError(f"cannot write the index of CAR {car_cid}: {exc.strerror}") from exc
        index_cid = CID.compute(CAR, data)
        name = multihash_string(index_cid)
        self._blobs.put_file(path, name, durable=False)
        return BlobRecord(name, len(data), "index", root, [], shard=multihash_string(car_cid))

    def discard(self) -> None:
        """Drop the temporary file (the write failed or lost for good)."""
        if not self._closed:
            os.close(self._fd)
            self._closed = True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)

    def __enter__(self) -> PendingCar:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._closed:
            self.discard()
