"""Assembling one write's CAR on disk, then storing it with its index.

A :class:`PendingCar` is a temporary file that grows as blocks arrive (body
chunks first, while the body streams in), hashed as it grows: the CAR's own
SHA-256 (its blob name) is ready when the last block is appended, with no
second pass over the file.  That is why a data CAR's header has no roots
(like the non-final shards of Storacha's upload client): the new root is
known only after the body, and the header comes first.  The root is named by
the CAR's index (``content``) and the registry.  Blocks appended after a
:meth:`mark` can be dropped with :meth:`rewind` (a compare-and-swap retry
rebuilds the MST nodes on the new root and appends those instead).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from awscrt.checksums import crc32c

from moto_forge.blocks.blobstore import BlobStore, start_writeback, write_all
from moto_forge.blocks.index import ShardIndex, encode_index
from moto_forge.errors import StorageError
from moto_forge.ipld.car import CarWriter
from moto_forge.ipld.cid import CAR, CID, multihash_string
from moto_forge.registry import BlobRecord, BlockLocation

THREADED_HASH_BYTES = 64 << 10
"""Writes at least this large are hashed on the CAR's hashing thread (hashlib releases
the GIL on them, so the hash runs beside the chunker's); smaller ones inline."""

MAX_PENDING_HASHES = 4
"""Writes handed to the hashing thread and not yet hashed (bounds the memory they hold)."""

WRITEBACK_BYTES = 8 << 20
"""Every this many bytes appended, writeback of them starts (large bodies reach the disk
while they stream in, so the final sync is short)."""


WRITE_BUFFER_BYTES = 64 << 10
"""Writes smaller than this are gathered in memory and reach the file together (a small
object's CAR is one ``write`` instead of two per block)."""


class _File:
    """The minimal binary-stream face of an fd that :class:`CarWriter` needs, gathering
    small writes: :meth:`flush` before anything reads, truncates or links the file."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()

    def write(self, data: bytes | memoryview) -> int:
        if len(data) >= WRITE_BUFFER_BYTES:
            self.flush()
            write_all(self.fd, data)
            return len(data)
        self._buffer += data
        if len(self._buffer) >= WRITE_BUFFER_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        """Write out what is gathered; afterwards the file holds every byte written."""
        if self._buffer:
            write_all(self.fd, self._buffer)
            self._buffer.clear()


class StreamHash:
    """SHA-256 of a byte stream fed in order, large pieces hashed on a worker thread.

    :meth:`digest` and :meth:`snapshot` wait for the pieces in flight;
    :meth:`restore` goes back to a snapshot (the stream was truncated).  At
    most :data:`MAX_PENDING_HASHES` pieces are held by the worker at a time.
    """

    def __init__(self) -> None:
        self._sha: Any = hashlib.sha256()
        self._worker: ThreadPoolExecutor | None = None
        self._pending: deque[Future[None]] = deque()

    def update(self, data: bytes | memoryview) -> None:
        """Hash ``data`` after everything before it; it must not change afterwards (bytes do not)."""
        while self._pending and self._pending[0].done():
            self._pending.popleft().result()
        if len(data) < THREADED_HASH_BYTES and not self._pending:
            self._sha.update(data)
            return
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="car-hash")
        self._pending.append(self._worker.submit(self._sha.update, data))
        while len(self._pending) > MAX_PENDING_HASHES:
            self._pending.popleft().result()

    def _drain(self) -> None:
        while self._pending:
            self._pending.popleft().result()

    def digest(self) -> bytes:
        self._drain()
        return bytes(self._sha.digest())

    def snapshot(self) -> Any:
        self._drain()
        return self._sha.copy()

    def restore(self, snapshot: Any) -> None:
        self._drain()
        self._sha = snapshot.copy()

    def close(self) -> None:
        if self._worker is not None:
            self._pending.clear()
            self._worker.shutdown(wait=True)
            self._worker = None


class _HashedFile(_File):
    """A :class:`_File` whose every written byte also goes to a :class:`StreamHash`."""

    def __init__(self, fd: int, digest: StreamHash) -> None:
        super().__init__(fd)
        self.digest = digest

    def write(self, data: bytes | memoryview) -> int:
        n = super().write(data)
        self.digest.update(data)
        return n


@dataclass(frozen=True, slots=True)
class StoredCar:
    """A CAR and its index, stored as blobs, ready to be recorded in the registry."""

    car: BlobRecord
    index: BlobRecord
    contents: tuple[tuple[str, bytes], ...] | None = None
    """Both blobs' ``(name, bytes)`` when :meth:`PendingCar.finish` was asked to keep them
    (a small write, for the blob journal: ``moto_forge/blocks/journal.py``)."""

    @property
    def records(self) -> list[BlobRecord]:
        return [self.car, self.index]


class PendingCar:
    """One write's CAR under construction (see the module docstring)."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        fd, self._path = blobs.new_temp()
        self._hash = StreamHash()
        self._file = _HashedFile(fd, self._hash)
        self._writer = CarWriter(self._file, [])
        self.locations: list[BlockLocation] = []
        self._seen: set[CID] = set()
        self._closed = False
        self._linked = False
        """The temporary file is also a blob (hard link) since :meth:`finish`: never change it."""
        self._written_back = self._writer.position

    def add(self, cid: CID, data: bytes) -> None:
        """Append a block (once: repeats of a CID already in this CAR are skipped)."""
        if cid in self._seen:
            return
        try:
            offset, length = self._writer.add(cid, data)
        except OSError as exc:
            raise StorageError(f"cannot write block {cid} to a temporary CAR: {exc.strerror}") from exc
        self._seen.add(cid)
        self.locations.append(BlockLocation(cid, "", offset, length, crc32c(data)))
        position = self._writer.position
        if position - self._written_back >= WRITEBACK_BYTES:
            self._file.flush()
            start_writeback(self._fd, self._written_back, position - self._written_back)
            self._written_back = position

    @property
    def _fd(self) -> int:
        """The temporary file's descriptor (the one the CAR writer writes to)."""
        return self._file.fd

    def mark(self) -> tuple[int, int, Any]:
        return self._writer.position, len(self.locations), self._hash.snapshot()

    def rewind(self, mark: tuple[int, int, Any]) -> None:
        position, count, hashed = mark
        if position == self._writer.position and count == len(self.locations) and not self._linked:
            return  # nothing was appended since the mark (and the file is not yet a blob)
        self._hash.restore(hashed)
        for loc in self.locations[count:]:
            self._seen.discard(loc.cid)
        del self.locations[count:]
        try:
            self._file.flush()
            if self._linked:
                self._detach(position)
            os.ftruncate(self._fd, position)
            os.lseek(self._fd, position, os.SEEK_SET)
        except OSError as exc:
            raise StorageError(f"cannot rewind temporary CAR {self._path} to {position} bytes: {exc.strerror}") from exc
        self._writer.position = position
        self._written_back = min(self._written_back, position)

    def _detach(self, length: int) -> None:
        """Go on in a fresh temporary file holding the first ``length`` bytes: the current
        one is a stored blob now, possibly shared with another writer's committed write
        (identical CARs are one file), and truncating it would corrupt that blob."""
        fd, path = self._blobs.new_temp()
        try:
            offset = 0
            while offset < length:
                data = os.pread(self._fd, min(WRITEBACK_BYTES, length - offset), offset)
                if not data:
                    raise StorageError(f"temporary CAR {self._path} ends at {offset} of {length} bytes")
                write_all(fd, data)
                offset += len(data)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise
        os.close(self._fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)  # the blob keeps its own name
        self._path, self._file.fd = path, fd
        self._linked = False
        self._written_back = 0

    def finish(self, root: CID, *, sync: bool = True, keep_up_to: int = 0) -> StoredCar:
        """Store the CAR (hashed as it grew) and its index for ``root`` as blobs, then
        make both durable with one :meth:`BlobStore.sync` (unless ``sync`` is false: a group
        commit syncs many writes' blobs at once, or journals them, and must do one or the
        other before recording them).  When the two blobs together are at most
        ``keep_up_to`` bytes, the result's ``contents`` holds their bytes.

        After this returns both blobs are durable; recording them in the
        registry is the caller's (atomic) next step.  The temporary file stays
        open: after a lost compare-and-swap the caller may :meth:`rewind` and
        finish again.  Blobs stored by a finish the registry never recorded
        are orphans that ``gc`` removes; they are never deleted here, since an
        identical blob may belong to a committed write.
        """
        try:
            self._file.flush()
            digest = self._hash.digest()
            car_cid = CID(CAR, 0x12, digest)
            name = multihash_string(car_cid)
            self._blobs.link_file(self._path, name, durable=False)
            self._linked = True
        except OSError as exc:
            raise StorageError(f"cannot store the CAR for root {root}: {exc.strerror}") from exc
        locations = [BlockLocation(loc.cid, name, loc.offset, loc.length, loc.crc) for loc in self.locations]
        car = BlobRecord(name, self._writer.position, "car", root, locations)
        index, index_data = self._store_index(root, car_cid, locations)
        if sync:
            self._blobs.sync([car.multihash, index.multihash])
        if car.size + index.size > keep_up_to:
            return StoredCar(car, index)
        try:
            car_data = os.pread(self._fd, car.size, 0)
        except OSError as exc:
            raise StorageError(f"cannot read back the CAR for root {root}: {exc.strerror}") from exc
        if len(car_data) != car.size:
            raise StorageError(f"the CAR for root {root} is {len(car_data)} bytes, not {car.size}")
        return StoredCar(car, index, ((car.multihash, car_data), (index.multihash, index_data)))

    def _store_index(self, root: CID, car_cid: CID, locations: list[BlockLocation]) -> tuple[BlobRecord, bytes]:
        shard = ShardIndex(car_cid.multihash, {loc.cid.multihash: (loc.offset, loc.length) for loc in locations})
        _, data = encode_index(root, [shard])
        fd, path = self._blobs.new_temp()
        try:
            try:
                write_all(fd, data)
            finally:
                os.close(fd)
        except OSError as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise StorageError(f"cannot write the index of CAR {car_cid}: {exc.strerror}") from exc
        index_cid = CID.compute(CAR, data)
        name = multihash_string(index_cid)
        self._blobs.put_file(path, name, durable=False)
        return BlobRecord(name, len(data), "index", root, [], shard=multihash_string(car_cid)), data

    def discard(self) -> None:
        """Drop the temporary file (the write failed or lost for good)."""
        if not self._closed:
            self._hash.close()
            os.close(self._fd)
            self._closed = True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)

    def __enter__(self) -> PendingCar:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._closed:
            self.discard()
