"""What each console page shows, read from the bucket service (no HTTP here).

Every function takes the bucket service and the names the page was asked for, and
returns plain values for a template; a bucket, key, version or root that does not
exist raises the service's own error (``NoSuchBucket``, ``NoSuchKey``, ...), which the
console answers as a 404 page.  Nothing here decides who may look: the console does
that once, before calling in (:meth:`moto_forge.console.app.ConsoleApp._bucket`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from moto_forge.bucket.service import BucketService
from moto_forge.bucket.snapshots import diff, history
from moto_forge.ipld.cid import CID
from moto_forge.objects import spans
from moto_forge.registry import BucketRecord, ListingEntry, RootRecord

PAGE_KEYS = 200
"""Keys (and folders) shown per page of a folder."""
SEARCH_SCAN = 20_000
"""Keys a search looks at, at most (it says when it stopped early)."""
SEARCH_HITS = 200
"""Matches a search shows, at most."""
CHUNKS_SHOWN = 500
"""Chunks listed on an object's page, at most (the rest are counted)."""
HISTORY_SHOWN = 500
"""Roots on a history page (newest first)."""
DIFF_SHOWN = 2000
"""Changed keys a diff page lists, at most."""


def when(seconds: float) -> str:
    """A UTC time as ``YYYY-MM-DD HH:MM:SS``."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def human_size(size: int) -> str:
    """``1.5 MiB``-style sizes (bytes below 1 KiB)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class BucketRow:
    name: str
    root: str
    created: str
    objects: int
    size: int
    forge_root: str | None
    pending: int


def buckets(service: BucketService, records: list[BucketRecord]) -> list[BucketRow]:
    """The buckets page: each of ``records`` with its object count, size and Forge state."""
    pending, _ = service.outbox_status()
    rows = []
    for record in records:
        count, size = service.bucket_totals(record.name)
        forge = str(record.forge_root) if record.forge_root else None
        rows.append(BucketRow(record.name, str(record.root), when(record.created), count, size, forge,
                              pending.get(record.name, 0)))  # fmt: skip
    return rows


@dataclass(frozen=True)
class KeyRow:
    key: str
    name: str
    """The key without the folder's prefix."""
    size: int
    etag: str
    modified: str
    manifest: str


@dataclass
class Folder:
    bucket: str
    prefix: str
    root: str
    """The root listed (the current one unless browsing the past)."""
    as_of: bool
    """Browsing an older root (read-only)."""
    folders: list[tuple[str, str]] = field(default_factory=list)
    """``(prefix, name)`` of each sub-folder."""
    keys: list[KeyRow] = field(default_factory=list)
    next_after: str | None = None
    search: str = ""
    search_stopped: bool = False
    """The search looked at :data:`SEARCH_SCAN` keys and stopped."""

    @property
    def crumbs(self) -> list[tuple[str, str]]:
        """``(prefix, name)`` from the bucket down to this folder."""
        parts = self.prefix.split("/")[:-1] if self.prefix else []
        return [("/".join(parts[: n + 1]) + "/", part) for n, part in enumerate(parts)]


def folder(
    service: BucketService, bucket: str, prefix: str, after: str = "", root: CID | None = None, search: str = ""
) -> Folder:
    """A folder of the bucket (``prefix`` ending in ``/``, or ``""``) now or at ``root``: its
    sub-folders and keys from ``after`` on; with ``search``, the keys under ``prefix`` whose
    name contains it (case-insensitive), folders flattened."""
    current = service.head_bucket(bucket).root
    at = root or current
    view = Folder(bucket, prefix, str(at), as_of=at != current, search=search)
    if search:
        needle = search.lower()
        scanned = 0
        start = after
        while len(view.keys) < SEARCH_HITS:
            page = service.list_objects(bucket, prefix, "", start, 1000, root)
            for key, entry in page.entries:
                scanned += 1
                if needle in key[len(prefix) :].lower():
                    view.keys.append(_row(key, prefix, entry))
            if not page.truncated or page.last is None:
                return view
            start = page.last
            if scanned >= SEARCH_SCAN:
                view.search_stopped = True
                break
        view.next_after = start
        return view
    page = service.list_objects(bucket, prefix, "/", after, PAGE_KEYS, root)
    view.folders = [(p, p[len(prefix) :]) for p in page.prefixes]
    view.keys = [_row(key, prefix, entry) for key, entry in page.entries]
    view.next_after = page.last if page.truncated else None
    return view


def _row(key: str, prefix: str, entry: ListingEntry) -> KeyRow:
    return KeyRow(key, key[len(prefix) :], entry.size, entry.etag, when(entry.created), entry.manifest)


@dataclass(frozen=True)
class VersionRow:
    version_id: str
    latest: bool
    marker: bool
    modified: str
    manifest: str | None


@dataclass
class ObjectPage:
    bucket: str
    key: str
    root: str
    as_of: bool
    version_id: str | None
    manifest_cid: str
    size: int
    etag: str
    content_type: str
    modified: str
    body_root: str
    body_format: str
    sha256: str | None
    metadata: dict[str, str]
    headers: dict[str, str]
    tags: dict[str, str]
    checksums: dict[str, str]
    attributes: dict[str, str]
    chunks: list[tuple[str, int]]
    """``(CID, bytes)`` of the first :data:`CHUNKS_SHOWN` chunks."""
    more_chunks: int
    versions: list[VersionRow]


def object_page(
    service: BucketService, bucket: str, key: str, root: CID | None = None, version_id: str | None = None
) -> ObjectPage:
    """An object's page: its manifest, body chunks and versions (now, or at ``root``)."""
    found = service.find_object(bucket, key, root, version_id)
    manifest = found.manifest
    body = manifest.body
    chunks: list[tuple[str, int]] = []
    more = 0
    for span in spans(service.store, body.format, body.root, 0, body.size):
        if len(chunks) < CHUNKS_SHOWN:
            chunks.append((str(span.cid), span.end - span.start))
        else:
            more += 1
    current = service.head_bucket(bucket).root
    return ObjectPage(
        bucket=bucket, key=key, root=str(found.root), as_of=found.root != current, version_id=found.version_id,
        manifest_cid=str(found.cid), size=body.size, etag=manifest.etag, content_type=manifest.content_type,
        modified=when(manifest.created), body_root=str(body.root), body_format=body.format,
        sha256=body.sha256.hex() if body.sha256 else None, metadata=dict(manifest.metadata),
        headers=dict(manifest.headers), tags=dict(manifest.tags), checksums=dict(manifest.checksums),
        attributes=dict(manifest.attributes), chunks=chunks, more_chunks=more,
        versions=list(_versions(service, bucket, key, found.root)),
    )  # fmt: skip


def _versions(service: BucketService, bucket: str, key: str, root: CID) -> Iterator[VersionRow]:
    page = service.list_versions(bucket, prefix=key, max_keys=1000, root=root)
    for name, version, latest in page.versions:
        if name == key:
            manifest = str(version.manifest) if version.manifest is not None else None
            yield VersionRow(version.vid, latest, version.is_marker, when(version.time), manifest)


@dataclass(frozen=True)
class HistoryRow:
    seq: int
    root: str
    time: str
    operation: str
    actor: str
    cars: list[tuple[str, int]]
    """``(multihash, bytes)`` of the CAR(s) the write stored."""
    in_forge: bool | None
    """Whether the write's CARs are in Forge (``None``: no Forge configured)."""
    current: bool


def history_rows(service: BucketService, bucket: str, forge: bool) -> tuple[list[HistoryRow], int]:
    """The bucket's roots, newest first (at most :data:`HISTORY_SHOWN`), and how many there are."""
    record = service.head_bucket(bucket)
    records: list[RootRecord] = history(service, bucket)
    shown = list(reversed(records))[:HISTORY_SHOWN]
    cars = service.registry.cars_of_roots([r.root for r in shown])
    waiting = service.registry.outbox_blobs() if forge else set()
    rows = []
    for r in shown:
        stored = [(blob.multihash, blob.size) for blob in cars.get(r.root, [])]
        in_forge = None if not forge else bool(stored) and not any(name in waiting for name, _ in stored)
        rows.append(HistoryRow(r.seq, str(r.root), when(r.time), r.operation, r.actor or "local command",
                               stored, in_forge, r.root == record.root))  # fmt: skip
    return rows, len(records)


@dataclass
class DiffPage:
    bucket: str
    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    truncated: bool = False


def diff_page(service: BucketService, bucket: str, old: CID, new: CID) -> DiffPage:
    """Keys added, removed and changed from root ``old`` to root ``new`` (both of the bucket)."""
    page = DiffPage(bucket, str(old), str(new))
    for count, change in enumerate(diff(service, bucket, old, new)):
        if count >= DIFF_SHOWN:
            page.truncated = True
            break
        key = change.key.decode("utf-8", "replace")
        (page.added if change.old is None else page.removed if change.new is None else page.changed).append(key)
    return page
