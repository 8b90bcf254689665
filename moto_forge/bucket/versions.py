"""Object versions: the bucket state a write changes, and S3 versioning over it.

A bucket state is its objects MST (key -> current manifest: what GET and ListObjects
see), its versions MST (``None`` until the bucket is first written to with versioning
on) and its configuration.  The versions MST maps a key to a *version list* block,
newest first, of every version the key has, the current one included::

    [{"v": <version id>, "m": <manifest Link> | null, "t": <seconds>}, ...]

``m: null`` is a delete marker; ``t`` is when the version was made.  A key of the
objects MST that has no version list (written before versioning was turned on) has
one version, ``null``, its current manifest.  Version ids are 32 random hex digits
(never ``null``); a bucket whose versioning is ``Suspended`` writes ``null`` versions,
replacing the key's earlier ``null`` one, as S3 does.

The operations are pure over the MSTs: each takes a :class:`BucketState` and returns
the next one, reading version lists through ``read`` and handing the blocks it makes
to ``add`` (the write's CAR).
"""

from __future__ import annotations

import heapq
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from moto_forge.bucket.root import Config
from moto_forge.errors import DagCborError, ManifestError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.mst import MST

NULL = "null"
"""The version id of an object written while versioning was off or suspended."""

AddBlock = Callable[[CID, bytes], None]


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a key: ``manifest`` ``None`` is a delete marker."""

    vid: str
    manifest: CID | None
    time: int

    @property
    def is_marker(self) -> bool:
        return self.manifest is None

    def to_ipld(self) -> dict[str, Any]:
        return {"v": self.vid, "m": self.manifest, "t": self.time}


def encode_versions(versions: Sequence[Version]) -> tuple[CID, bytes]:
    """The version list block (newest first) and its CID."""
    data = dagcbor.encode([v.to_ipld() for v in versions])
    return CID.compute(DAG_CBOR, data), data


def decode_versions(data: bytes, cid: CID) -> list[Version]:
    """The version list stored as ``cid``; :class:`ManifestError` names what is wrong."""
    where = f"version list {cid}"
    try:
        raw = dagcbor.decode(data)
    except DagCborError as exc:
        raise ManifestError(f"{where}: {exc}") from exc
    if not isinstance(raw, list) or not raw:
        raise ManifestError(f"{where}: not a non-empty list")
    versions = []
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) != {"v", "m", "t"}:
            raise ManifestError(f"{where}: an entry is not {{v, m, t}}")
        vid, manifest, time = entry["v"], entry["m"], entry["t"]
        if not isinstance(vid, str) or not vid or not (manifest is None or isinstance(manifest, CID)):
            raise ManifestError(f"{where}: bad version id or manifest link")
        if type(time) is not int or time < 0:
            raise ManifestError(f"{where}: bad time")
        versions.append(Version(vid, manifest, time))
    if len({v.vid for v in versions}) != len(versions):
        raise ManifestError(f"{where}: a version id appears twice")
    return versions


def new_version_id() -> str:
    """A fresh version id: 32 random lowercase hex digits (opaque to clients, as S3's)."""
    return secrets.token_hex(16)


def versioning_status(config: Config) -> str | None:
    """``Enabled``, ``Suspended`` or ``None`` (never turned on), from the configuration's
    recorded ``put_bucket_versioning`` call."""
    entry = config.get("versioning")
    args = entry.get("args") if isinstance(entry, dict) else None
    status = args[0] if args else None
    return status if status in ("Enabled", "Suspended") else None


@dataclass(frozen=True, slots=True)
class BucketState:
    """What a write changes: the objects and versions MSTs and the configuration."""

    objects: MST
    versions: MST | None
    config: Config
    empty_tree: Callable[[], MST]
    """A new empty MST over the bucket's block source (the versions tree's first write)."""

    @property
    def status(self) -> str | None:
        return versioning_status(self.config)


ReadVersions = Callable[[CID], list[Version]]
ManifestTime = Callable[[CID], int]


def history(state: BucketState, key: str, read: ReadVersions, manifest_time: ManifestTime) -> list[Version]:
    """Every version of ``key``, newest first (``[]``: the key never existed or every
    version was deleted)."""
    if state.versions is not None:
        listed = state.versions.get(key)
        if listed is not None:
            return read(listed)
    current = state.objects.get(key)
    return [] if current is None else [Version(NULL, current, manifest_time(current))]


def put_version(
    state: BucketState,
    key: str,
    manifest: CID,
    now: int,
    read: ReadVersions,
    manifest_time: ManifestTime,
    add: AddBlock,
) -> tuple[BucketState, str | None]:
    """Make ``manifest`` the key's current version; returns the new state and the new
    version's id (``None`` in a bucket that was never versioned)."""
    objects = state.objects.put(key, manifest)
    status = state.status
    if status is None:
        return replace(state, objects=objects), None
    vid = new_version_id() if status == "Enabled" else NULL
    earlier = _keep(history(state, key, read, manifest_time), status)
    versions = _store(state, key, [Version(vid, manifest, now), *earlier], add)
    return replace(state, objects=objects, versions=versions), vid


def delete_current(
    state: BucketState, key: str, now: int, read: ReadVersions, manifest_time: ManifestTime, add: AddBlock
) -> tuple[BucketState, Version | None]:
    """DeleteObject without a version id: removes the key in a bucket never versioned,
    else puts a delete marker on top of its versions (returned)."""
    objects = state.objects.delete(key)
    status = state.status
    if status is None:
        return replace(state, objects=objects), None
    marker = Version(new_version_id() if status == "Enabled" else NULL, None, now)
    earlier = _keep(history(state, key, read, manifest_time), status)
    return replace(state, objects=objects, versions=_store(state, key, [marker, *earlier], add)), marker


def delete_version(
    state: BucketState, key: str, vid: str, read: ReadVersions, manifest_time: ManifestTime, add: AddBlock
) -> tuple[BucketState, Version | None]:
    """DeleteObject with a version id: that version is gone for good (returned; ``None``
    if the key has no such version).  The next newer one left becomes current."""
    versions = history(state, key, read, manifest_time)
    found = next((v for v in versions if v.vid == vid), None)
    if found is None:
        return state, None
    rest = [v for v in versions if v is not found]
    objects = state.objects
    if versions[0] is found:
        head = rest[0] if rest else None
        objects = objects.put(key, head.manifest) if head is not None and head.manifest else objects.delete(key)
    tree = state.versions
    if tree is not None:
        tree = _store(state, key, rest, add) if rest else tree.delete(key)
    return replace(state, objects=objects, versions=tree), found


def replace_manifest(
    state: BucketState,
    key: str,
    vid: str | None,
    manifest: CID,
    read: ReadVersions,
    manifest_time: ManifestTime,
    add: AddBlock,
) -> BucketState:
    """Put ``manifest`` in place of version ``vid`` of ``key`` (``None``: the current one),
    keeping its version id: what a tag change does (S3 makes no new version for it).
    The version must exist and not be a delete marker (the caller checked)."""
    versions = history(state, key, read, manifest_time)
    target = versions[0] if vid is None and versions else next((v for v in versions if v.vid == vid), None)
    if target is None or target.manifest is None:
        raise ValueError(f"{key!r} has no version {vid!r} to change")
    objects = state.objects.put(key, manifest) if versions[0] is target else state.objects
    if state.versions is None or state.versions.get(key) is None:  # its one implicit null version
        return replace(state, objects=objects)
    changed = [Version(v.vid, manifest, v.time) if v is target else v for v in versions]
    return replace(state, objects=objects, versions=_store(state, key, changed, add))


def _keep(earlier: list[Version], status: str) -> list[Version]:
    """The versions a new one goes on top of: all of them, except the ``null`` one a
    suspended bucket's new ``null`` version replaces."""
    return earlier if status == "Enabled" else [v for v in earlier if v.vid != NULL]


def _store(state: BucketState, key: str, versions: list[Version], add: AddBlock) -> MST:
    """The versions tree with ``key``'s list set to ``versions`` (never empty)."""
    tree = state.versions if state.versions is not None else state.empty_tree()
    cid, data = encode_versions(versions)
    add(cid, data)
    return tree.put(key, cid)


@dataclass(slots=True)
class VersionPage:
    """One ListObjectVersions page: ``(key, version, is latest)`` in key order (newest
    version first within a key), common prefixes, and where the next page starts."""

    versions: list[tuple[str, Version, bool]]
    prefixes: list[str]
    truncated: bool = False
    next_key: str | None = None
    next_version: str | None = None


def list_versions(
    keys: Iterator[str],
    history_of: Callable[[str], list[Version]],
    prefix: str = "",
    delimiter: str = "",
    key_marker: str = "",
    version_marker: str = "",
    max_keys: int = 1000,
) -> VersionPage:
    """A ListObjectVersions page over ``keys`` (every key with versions, in order, from
    ``max(prefix, key_marker)`` on).  After ``key_marker`` alone the page starts at the next
    key; with ``version_marker`` too, after that version of ``key_marker``.  Each version,
    delete marker and common prefix counts towards ``max_keys``."""
    page = VersionPage([], [])
    count = 0
    last_prefix: str | None = None
    for key in keys:
        if not key.startswith(prefix):
            if key > prefix:
                break
            continue
        if key_marker and (key < key_marker or (key == key_marker and not version_marker)):
            continue
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                common = key[: cut + len(delimiter)]
                if common == last_prefix or (key_marker and common <= key_marker and key_marker.startswith(common)):
                    continue
                if count == max_keys:
                    page.truncated = True
                    return page
                page.prefixes.append(common)
                last_prefix = common
                count += 1
                page.next_key, page.next_version = common, None
                continue
        versions = history_of(key)
        if key == key_marker and version_marker:
            at = next((n for n, v in enumerate(versions) if v.vid == version_marker), None)
            versions = versions[at + 1 :] if at is not None else []
            first_index = (at + 1) if at is not None else 0
        else:
            first_index = 0
        for n, version in enumerate(versions):
            if count == max_keys:
                page.truncated = True
                return page
            page.versions.append((key, version, first_index + n == 0))
            count += 1
            page.next_key, page.next_version = key, version.vid
    page.next_key = page.next_version = None
    return page


def merged_keys(*sources: Iterator[tuple[bytes, CID]]) -> Iterator[str]:
    """The keys of several ordered ``(key, value)`` iterators, in order, each once."""
    last: bytes | None = None
    for key, _ in heapq.merge(*sources, key=lambda item: item[0]):
        if key != last:
            last = key
            yield key.decode("utf-8")
