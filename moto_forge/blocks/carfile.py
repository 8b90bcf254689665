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
from collections.abc import Callable
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

MEMORY_BYTES = 256 << 10
"""A CAR is held in memory until it grows past this many bytes; only then is its temporary
file made.  A small write whose blobs the blob journal carries never makes a file on the
request's path (``moto_forge/blocks/journal.py``)."""


class _File:
    """The minimal binary-stream face :class:`CarWriter` needs: bytes in memory up to
    :data:`MEMORY_BYTES`, then a temporary file (made by ``make``) gathering small writes.
    :meth:`flush` before anything reads, truncates or links the file."""

    def __init__(self, make: Callable[[], tuple[int, str]]) -> None:
        self._make = make
        self.fd = -1
        self.path = ""
        self._buffer = bytearray()

    @property
    def in_memory(self) -> bool:
        """Whether every byte is still in memory (no temporary file made)."""
        return self.fd < 0

    def memory(self) -> bytes:
        """Every byte written (only while :attr:`in_memory`)."""
        assert self.fd < 0, "the CAR is in a file"
        return bytes(self._buffer)

    def materialize(self) -> None:
        """Move the bytes held in memory into a new temporary file (nothing if there is one)."""
        if self.fd < 0:
            self.fd, self.path = self._make()
            self.flush()

    def write(self, data: bytes | memoryview) -> int:
        if self.fd < 0:
            if len(self._buffer) + len(data) <= MEMORY_BYTES:
                self._buffer += data
                return len(data)
            self.materialize()
        if len(data) >= WRITE_BUFFER_BYTES:
            self.flush()
            write_all(self.fd, data)
            return len(data)
        self._buffer += data
        if len(self._buffer) >= WRITE_BUFFER_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        """Write out what is gathered; afterwards the file (if any) holds every byte written."""
        if self.fd >= 0 and self._buffer:
            write_all(self.fd, self._buffer)
            self._buffer.clear()

    def truncate(self, position: int) -> None:
        """Drop every byte after the first ``position``; the next write goes there."""
        if self.fd < 0:
            del self._buffer[position:]
            return
        self.flush()
        os.ftruncate(self.fd, position)
        os.lseek(self.fd, position, os.SEEK_SET)

    def close(self) -> None:
        """Close and delete the temporary file (if one was made); the bytes are gone."""
        self._buffer.clear()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


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

    def __init__(self, make: Callable[[], tuple[int, str]], digest: StreamHash) -> None:
        super().__init__(make)
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
    (a small write, whose commit carries them into the registry: ``moto_forge/blocks/journal.py``)."""
    placed: bool = True
    """Whether both blobs are files in the blob store.  ``False``: they exist only as
    :attr:`contents`, which the commit must keep in the registry inline (no file is ever made)."""

    @property
    def records(self) -> list[BlobRecord]:
        return [self.car, self.index]


class PendingCar:
    """One write's CAR under construction (see the module docstring)."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self._hash = StreamHash()
        self._file = _HashedFile(blobs.new_temp, self._hash)
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
            start_writeback(self._file.fd, self._written_back, position - self._written_back)
            self._written_back = position

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
            self._file.truncate(position)
        except OSError as exc:
            raise StorageError(
                f"cannot rewind temporary CAR {self._file.path} to {position} bytes: {exc.strerror}"
            ) from exc
        self._writer.position = position
        self._written_back = min(self._written_back, position)

    def _detach(self, length: int) -> None:
        """Go on in a fresh temporary file holding the first ``length`` bytes: the current
        one is a stored blob now, possibly shared with another writer's committed write
        (identical CARs are one file), and truncating it would corrupt that blob."""
        fd, path = self._blobs.new_temp()
        old_fd, old_path = self._file.fd, self._file.path
        try:
            offset = 0
            while offset < length:
                data = os.pread(old_fd, min(WRITEBACK_BYTES, length - offset), offset)
                if not data:
                    raise StorageError(f"temporary CAR {old_path} ends at {offset} of {length} bytes")
                write_all(fd, data)
                offset += len(data)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise
        os.close(old_fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(old_path)  # the blob keeps its own name
        self._file.path, self._file.fd = path, fd
        self._linked = False
        self._written_back = 0

    def finish(self, root: CID, *, sync: bool = True, keep_up_to: int = 0, place: bool = True) -> StoredCar:
        """Store the CAR (hashed as it grew) and its index for ``root`` as blobs, then
        make both durable with one :meth:`BlobStore.sync` (unless ``sync`` is false: a group
        commit syncs many writes' blobs at once, or journals them, and must do one or the
        other before recording them).  When the two blobs together are at most
        ``keep_up_to`` bytes, the result's ``contents`` holds their bytes, and then, with
        ``place`` false, no file is made at all (``placed`` false): the caller must keep the
        contents inline in the commit that records them (``moto_forge/blocks/journal.py``).

        After this returns both blobs are durable (or kept in the registry by the caller); recording
        them in the registry is the caller's (atomic) next step.  The CAR stays open: after
        a lost compare-and-swap the caller may :meth:`rewind` and finish again.  Blobs
        stored by a finish the registry never recorded are orphans that ``gc`` removes;
        they are never deleted here, since an identical blob may belong to a committed write.
        """
        try:
            self._file.flush()
        except OSError as exc:
            raise StorageError(f"cannot write the CAR for root {root}: {exc.strerror}") from exc
        digest = self._hash.digest()
        car_cid = CID(CAR, 0x12, digest)
        name = multihash_string(car_cid)
        size = self._writer.position
        locations = [BlockLocation(loc.cid, name, loc.offset, loc.length, loc.crc) for loc in self.locations]
        car = BlobRecord(name, size, "car", root, locations)
        shard = ShardIndex(car_cid.multihash, {loc.cid.multihash: (loc.offset, loc.length) for loc in locations})
        _, index_data = encode_index(root, [shard])
        index_name = multihash_string(CID.compute(CAR, index_data))
        index = BlobRecord(index_name, len(index_data), "index", root, [], shard=name)
        keep = size + len(index_data) <= keep_up_to
        car_data = self._file.memory() if keep and self._file.in_memory else None
        if keep and not place and car_data is not None:
            return StoredCar(car, index, ((name, car_data), (index_name, index_data)), placed=False)
        try:
            self._file.materialize()
            self._blobs.link_file(self._file.path, name, durable=False)
            self._linked = True
        except OSError as exc:
            raise StorageError(f"cannot store the CAR for root {root}: {exc.strerror}") from exc
        self._blobs.place(index_name, index_data, durable=False)
        if sync:
            self._blobs.sync([car.multihash, index.multihash])
        if not keep:
            return StoredCar(car, index)
        if car_data is None:
            car_data = self._read_back(root, size)
        return StoredCar(car, index, ((car.multihash, car_data), (index.multihash, index_data)))

    def _read_back(self, root: CID, size: int) -> bytes:
        """The CAR's ``size`` bytes, read back from its file."""
        try:
            data = os.pread(self._file.fd, size, 0)
        except OSError as exc:
            raise StorageError(f"cannot read back the CAR for root {root}: {exc.strerror}") from exc
        if len(data) != size:
            raise StorageError(f"the CAR for root {root} is {len(data)} bytes, not {size}")
        return data

    def discard(self) -> None:
        """Drop the temporary file (the write failed or lost for good) and the bytes held."""
        if not self._closed:
            self._hash.close()
            self._closed = True
        self._file.close()

    def __enter__(self) -> PendingCar:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._closed:
            self.discard()
