"""Blob stores: where whole CARs live, named by their multihash string.

Contract for every implementation (the conformance suite in
``tests/blocks/test_blobstore.py`` runs against each): ``put_file`` moves a
finished temporary file in under its name and makes it durable before
returning; with ``durable=False`` it (and ``link_file``) only places the file,
and a later ``sync(names)`` makes every named blob durable at once (one
``syncfs`` on Linux: one flush for a write's CAR and index instead of four
fsyncs); a name that already exists keeps its file only if it holds the same
bytes (a file left by a crash before its sync is replaced); ``read`` returns exactly ``length`` bytes at ``offset`` or
raises :class:`MissingBlockError`-free :class:`StorageError` naming the blob;
``delete`` of an absent blob is not an error.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import filecmp
import functools
import os
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from moto_forge.errors import StorageError
from moto_forge.files import write_private


class BlobStore(Protocol):
    """Durable storage of whole blobs (see the module contract)."""

    fetched: set[str]
    """Blobs brought back from the network by this process (their blocks are hash-checked)."""
    remote: bool
    """Every read comes from the network (``blocks/uncached.py``): every block is hash-checked."""

    def new_temp(self) -> tuple[int, str]: ...
    def put_file(self, path: str, name: str, *, durable: bool = True) -> None: ...
    def link_file(self, path: str, name: str, *, durable: bool = True) -> None: ...
    def place(self, name: str, data: bytes, *, durable: bool = True) -> None: ...
    def sync(self, names: Sequence[str]) -> None: ...
    def read(self, name: str, offset: int, length: int) -> bytes: ...
    def exists(self, name: str) -> bool: ...
    def size(self, name: str) -> int: ...
    def delete(self, name: str) -> None: ...
    def drop(self, names: Iterable[str]) -> None: ...
    def names(self) -> Iterator[str]: ...


def _libc_function(name: str, argtypes: list[Any]) -> Any:
    """libc's function ``name`` (``restype`` int), or ``None`` where this system has none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return None
    function = getattr(libc, name, None)
    if function is not None:
        function.argtypes = argtypes
        function.restype = ctypes.c_int
    return function


SYNCFS: Callable[[int], int] | None = _libc_function("syncfs", [ctypes.c_int])
"""``syncfs(fd)``: flush the whole filesystem holding ``fd`` (Linux)."""
SYNC_FILE_RANGE: Callable[[int, int, int, int], int] | None = _libc_function(
    "sync_file_range", [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
)
SYNC_FILE_RANGE_WRITE = 2


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a file range to disk now, without waiting (a hint:
    the later sync then has little left to flush).  No-op where unsupported."""
    if SYNC_FILE_RANGE is not None:
        SYNC_FILE_RANGE(fd, offset, length, SYNC_FILE_RANGE_WRITE)


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    """Write all of ``data`` to ``fd`` (looping over short writes)."""
    with memoryview(data) as view:
        while view:
            view = view[os.write(fd, view) :]


def fsync_path(path: str) -> None:
    """fsync a file or a directory (its entries) by path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


STORE_ID = "store-id"
"""The file naming a data dir to the registry (:attr:`LocalBlobStore.store_id`)."""

RESERVE_BYTES = 4 << 20
"""Space kept aside in ``<root>/reserve`` so that deletes and gc, which each write a
little (a new MST path, registry pages), still run on a full disk: deleting is how
space comes back."""


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a full disk (ENOSPC, or SQLite's "disk is full")."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        text = str(seen)
        if "No space left on device" in text or "disk is full" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class LocalBlobStore:
    """Blobs as files: ``<root>/blobs/<last 2 chars>/<multihash string>``.

    Temporary files are made in ``<root>/tmp`` (same filesystem, so the final
    rename is atomic).  Reads use ``pread`` on a small cache of open files, so
    they are safe from many threads.
    """

    MAX_OPEN_FILES = 64
    remote = False

    def __init__(
        self,
        root: str,
        fetch_missing: Callable[[str], bytes] | None = None,
        *,
        durable: bool = True,
        read_only: bool = False,
    ) -> None:
        """``read_only``: only reads (no folder is made; nothing is written to the store)."""
        self.durable = durable
        self.read_only = read_only
        """False: nothing is ever fsynced (a throwaway store, e.g. ``mock_forge``'s temporary
        directory, where a power loss loses nothing anyone keeps)."""
        self.fetch_missing = fetch_missing
        """Read-through source for blobs not on disk (Forge); what it returns is stored durably."""
        self.root = os.path.abspath(root)
        self.blob_dir = os.path.join(self.root, "blobs")
        self.tmp_dir = os.path.join(self.root, "tmp")
        if not read_only:
            os.makedirs(self.blob_dir, exist_ok=True)
            os.makedirs(self.tmp_dir, exist_ok=True)
        self._fds: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self.fetched: set[str] = set()
        """Blobs this process brought back from Forge (or any network): their blocks are
        checked against their CIDs on every read (``blocks/blockstore.py``)."""
        self._folders: set[str] = set()
        """Blob folders known to exist."""
        self.unplaced: Callable[[str], bytes | None] | None = None
        """Where a committed blob without a file is found: the registry, which holds small
        blobs inline, and journalled ones until their files are placed
        (``moto_forge/blocks/journal.py``; set by ``open_stores``)."""

    @functools.cached_property
    def store_id(self) -> str:
        """This data dir's identity (``<root>/store-id``, 32 hex digits made on first use):
        what the registry knows it by when several data dirs share one registry."""
        path = os.path.join(self.root, STORE_ID)
        if not os.path.exists(path) and not self.read_only:
            write_private(path, (secrets.token_hex(16) + "\n").encode("ascii"))  # the first starter's wins
            if self.durable:
                fsync_path(self.root)
        try:
            with open(path, encoding="ascii") as fh:
                return fh.read().strip()
        except FileNotFoundError:
            return ""  # a read-only copy made before store ids: it claims nothing

    @property
    def reserve_path(self) -> str:
        return os.path.join(self.root, "reserve")

    def keep_reserve(self) -> bool:
        """Set :data:`RESERVE_BYTES` aside (if not already) when there is room; whether it is."""
        if os.path.exists(self.reserve_path):
            return True
        temp = self.reserve_path + ".part"
        try:
            fd = os.open(temp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            try:
                os.posix_fallocate(fd, 0, RESERVE_BYTES)
            finally:
                os.close(fd)
            os.rename(temp, self.reserve_path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            return False
        return True

    def release_reserve(self) -> bool:
        """Give the reserved space back (a delete or gc on a full disk); whether there was any."""
        try:
            os.unlink(self.reserve_path)
        except FileNotFoundError:
            return False
        return True

    def path(self, name: str) -> str:
        if not name or "/" in name or name.startswith("."):
            raise StorageError(f"invalid blob name {name!r}")
        return os.path.join(self.blob_dir, name[-2:], name)

    def new_temp(self) -> tuple[int, str]:
        """A new temporary file (fd, path) on the blob store's filesystem."""
        try:
            return tempfile.mkstemp(dir=self.tmp_dir, suffix=".part")
        except OSError as exc:
            raise StorageError(f"cannot create a temporary file in {self.tmp_dir}: {exc.strerror}") from exc

    def put_file(self, path: str, name: str, *, durable: bool = True) -> None:
        """Move the finished file at ``path`` in as blob ``name`` (durably unless ``durable``
        is false: then :meth:`sync` must follow)."""
        durable = durable and self.durable
        final = self.path(name)
        folder = os.path.dirname(final)
        try:
            self._ensure_folder(folder, durable)
            os.replace(path, final)
            if durable:
                fsync_path(final)
                fsync_path(folder)
        except OSError as exc:
            raise StorageError(f"cannot store blob {name}: {exc.strerror}") from exc

    def _ensure_folder(self, folder: str, durable: bool) -> None:
        """Make ``folder`` exist (remembered once seen: this store never removes one)."""
        if folder in self._folders:
            return
        if not os.path.isdir(folder):
            os.makedirs(folder, exist_ok=True)
            if durable:
                fsync_path(self.blob_dir)
        self._folders.add(folder)

    def link_file(self, path: str, name: str, *, durable: bool = True) -> None:
        """Like :meth:`put_file` but leaves ``path`` in place (a hard link).

        If blob ``name`` already exists with the same bytes (names are hashes),
        that is success; with other bytes (a file a crash left before its sync
        completed) it is replaced by ``path``'s.
        """
        durable = durable and self.durable
        final = self.path(name)
        folder = os.path.dirname(final)
        try:
            self._ensure_folder(folder, durable)
            try:
                os.link(path, final)
            except FileExistsError:
                if filecmp.cmp(path, final, shallow=False):
                    if durable:
                        fsync_path(final)
                    return
                spare = f"{path}.{os.getpid()}.relink"
                os.link(path, spare)
                os.replace(spare, final)
            if durable:
                fsync_path(final)
                fsync_path(folder)
        except OSError as exc:
            raise StorageError(f"cannot store blob {name}: {exc.strerror}") from exc

    def sync(self, names: Sequence[str]) -> None:
        """Make the named blobs, their folders and everything placed with ``durable=False``
        durable: one ``syncfs`` where the system has it, else an fsync of each file and folder."""
        if not self.durable:
            return
        try:
            if SYNCFS is not None:
                fd = os.open(self.blob_dir, os.O_RDONLY)
                try:
                    if SYNCFS(fd) != 0:
                        error = ctypes.get_errno()
                        raise OSError(error, os.strerror(error))
                finally:
                    os.close(fd)
                return
            for name in names:
                fsync_path(self.path(name))
                fsync_path(os.path.dirname(self.path(name)))
            fsync_path(self.blob_dir)
        except OSError as exc:
            raise StorageError(f"cannot make blobs {', '.join(names)} durable: {exc.strerror}") from exc

    def _fd(self, name: str) -> int:
        with self._lock:
            fd = self._fds.get(name)
            if fd is not None:
                self._fds.move_to_end(name)
                return fd
            fd = os.open(self.path(name), os.O_RDONLY)
            self._fds[name] = fd
            if len(self._fds) > self.MAX_OPEN_FILES:
                _, old = self._fds.popitem(last=False)
                os.close(old)
            return fd

    def _unplaced_bytes(self, name: str) -> bytes | None:
        """The bytes of blob ``name`` if it is committed without a file (the registry holds
        them); ``None`` otherwise."""
        return self.unplaced(name) if self.unplaced is not None else None

    def has_file(self, name: str) -> bool:
        """Whether blob ``name`` is a file here (placed, whether or not synced yet)."""
        return os.path.exists(self.path(name))

    def place(self, name: str, data: bytes, *, durable: bool = True) -> None:
        """Write ``data`` as blob ``name`` (replacing any file of that name; durably unless
        ``durable`` is false: then :meth:`sync` must follow)."""
        fd, path = self.new_temp()
        try:
            try:
                write_all(fd, data)
                if durable and self.durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            self.put_file(path, name, durable=durable)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise StorageError(f"cannot store blob {name}: {exc.strerror}") from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise

    def read(self, name: str, offset: int, length: int) -> bytes:
        try:
            data = os.pread(self._fd(name), length, offset)
        except FileNotFoundError as exc:
            unplaced = self._read_unplaced(name, offset, length)
            if unplaced is not None:
                data = unplaced
            elif self.fetch_missing is None:
                raise StorageError(f"blob {name} is missing") from exc
            else:
                self.fetch(name)
                data = os.pread(self._fd(name), length, offset)
        except OSError as exc:
            # The cached fd may have been closed by a concurrent eviction; retry once.
            self._forget(name)
            try:
                data = os.pread(self._fd(name), length, offset)
            except OSError as exc2:
                raise StorageError(f"cannot read blob {name}: {exc2.strerror}") from exc
        if len(data) != length:
            raise StorageError(f"blob {name} is truncated: wanted {length} bytes at {offset}, got {len(data)}")
        return data

    def _read_unplaced(self, name: str, offset: int, length: int) -> bytes | None:
        """``length`` bytes at ``offset`` of blob ``name`` that has no file: from its
        unplaced bytes, or from its file after all (a flusher placed it and trimmed the
        journal between the two looks); ``None`` if it is in neither."""
        whole = self._unplaced_bytes(name)
        if whole is not None:
            return whole[offset : offset + length]
        try:
            return os.pread(self._fd(name), length, offset)
        except FileNotFoundError:
            return None

    def fetch(self, name: str) -> None:
        """Bring a missing blob back through ``fetch_missing`` (the fetcher verifies it against
        its name) and keep it; :class:`StorageError` if there is no such source."""
        if self.fetch_missing is None:
            raise StorageError(f"blob {name} is missing and there is no Forge to fetch it from")
        data = self.fetch_missing(name)
        self.fetched.add(name)
        self.place(name, data)

    def _forget(self, name: str) -> None:
        with self._lock:
            fd = self._fds.pop(name, None)
        if fd is not None:
            os.close(fd)

    def exists(self, name: str) -> bool:
        """Whether blob ``name`` is here: its file, or its committed bytes not yet placed."""
        return self.has_file(name) or self._unplaced_bytes(name) is not None

    def size(self, name: str) -> int:
        try:
            return os.path.getsize(self.path(name))
        except OSError as exc:
            unplaced = self._unplaced_bytes(name)
            if unplaced is not None:
                return len(unplaced)
            raise StorageError(f"blob {name} is missing") from exc

    def delete(self, name: str) -> None:
        self._forget(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(name))

    def drop(self, names: Iterable[str]) -> None:
        """A committed blob's local file is no longer needed: kept here (a cache of Forge,
        or the only copy); :class:`~moto_forge.blocks.uncached.UncachedBlobStore` deletes it."""

    def names(self) -> Iterator[str]:
        for folder in sorted(os.listdir(self.blob_dir)):
            full = os.path.join(self.blob_dir, folder)
            if os.path.isdir(full):
                yield from sorted(n for n in os.listdir(full) if not n.startswith("."))

    def temp_files(self) -> list[str]:
        """Leftover temporary files (from writes a crash interrupted)."""
        return [os.path.join(self.tmp_dir, n) for n in os.listdir(self.tmp_dir)]

    def close(self) -> None:
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()
