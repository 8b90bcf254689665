"""Reads: a bucket's tree at its current root or one from its history, object manifests
(cached), bodies as verified chunk streams, and listing pages (from the registry's listing
index for the current root, else from the MST)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate

from moto_forge.bucket.conditions import check_key, listing_entry
from moto_forge.bucket.listing import ListPage, list_page
from moto_forge.bucket.root import BucketRoot, Config, decode_config, load_root
from moto_forge.bucket.state import ServiceState
from moto_forge.bucket.versions import (
    NULL,
    BucketState,
    Version,
    VersionPage,
    decode_versions,
    history,
    list_versions,
    merged_keys,
)
from moto_forge.errors import (
    InvalidArgument,
    InvalidRange,
    ManifestError,
    MethodNotAllowed,
    NoSuchKey,
    NoSuchSnapshot,
    NoSuchVersion,
)
from moto_forge.ipld.cid import CID
from moto_forge.mst import MST
from moto_forge.objects import CONCAT_V1, ObjectManifest, spans
from moto_forge.objects.body import Span, part_checksums, read_parts
from moto_forge.registry import (
    BucketRecord,
    ListingEntry,
)


@dataclass(frozen=True, slots=True)
class FoundObject:
    """An object version as read: its manifest, the manifest's CID, the bucket root read
    at, and its version id (``None`` in a bucket never versioned)."""

    manifest: ObjectManifest
    cid: CID
    root: CID
    version_id: str | None


class Reads(ServiceState):
    """The read operations of :class:`~moto_forge.bucket.service.BucketService`."""

    def bucket_root(self, cid: CID) -> BucketRoot:
        """The bucket root node stored as ``cid`` (verified when read; decoded ones are cached)."""
        node = self._roots.get(cid)
        if node is None:
            node = load_root(self.store, cid)
            self._roots.put(cid, node)
        return node

    def config_of(self, node: BucketRoot) -> Config:
        """The configuration document ``node`` links (``{}`` for none); shared and cached, so
        never to be changed in place."""
        if node.config is None:
            return {}
        config = self._configs.get(node.config)
        if config is None:
            config = decode_config(self.store.get(node.config), node.config)
            self._configs.put(node.config, config)
        return config

    def snapshot(
        self, bucket: str, root: CID | None = None, record: BucketRecord | None = None
    ) -> tuple[CID, BucketRoot]:
        """The bucket's root CID and node now, or at ``root`` if that root is in its history.
        ``record``: the bucket's record as the request's access decision read it (a read
        acts on the bucket that was checked, and reads the registry once)."""
        if record is None or record.name != bucket:
            record = self.head_bucket(bucket)
        if root is not None and root != record.root and not self.registry.has_root(bucket, root):
            raise NoSuchSnapshot(f"root {root} is not in the history of bucket {bucket}", BucketName=bucket)
        cid = record.root if root is None else root
        return cid, self.bucket_root(cid)

    def tree(self, bucket: str, root: CID | None = None) -> MST:
        """The bucket's objects MST now, or at ``root`` if that root is in its history."""
        return self.objects_of(self.snapshot(bucket, root)[1])

    def objects_of(self, node: BucketRoot) -> MST:
        return MST.load(self.store, node.objects, self.loader)

    def state_of(self, node: BucketRoot) -> BucketState:
        """The bucket state ``node`` names: its trees (loaded lazily) and configuration."""
        versions = None if node.versions is None else MST.load(self.store, node.versions, self.loader)
        return BucketState(self.objects_of(node), versions, self.config_of(node), self._empty_tree)

    def _empty_tree(self) -> MST:
        return MST.empty(self.store, self.loader)

    def version_list(self, cid: CID) -> list[Version]:
        """The version list stored as ``cid`` (verified when read; decoded ones are cached)."""
        versions = self._version_lists.get(cid)
        if versions is None:
            versions = decode_versions(self.store.get(cid), cid)
            self._version_lists.put(cid, versions)
        return versions

    def manifest_time(self, cid: CID) -> int:
        return self.manifest(cid).created

    def history_of(self, state: BucketState, key: str) -> list[Version]:
        """Every version of ``key`` in ``state``, newest first."""
        return history(state, key, self.version_list, self.manifest_time)

    def version_of(self, state: BucketState, key: str, version_id: str | None) -> Version:
        """The key's version ``version_id`` (a delete marker too), or its current version
        (``None``: then never a delete marker); ``NoSuchKey`` / ``NoSuchVersion`` otherwise
        (``NoSuchKey`` of a key whose current version is a delete marker says so in its
        ``x-amz-delete-marker`` and ``x-amz-version-id`` headers)."""
        versions = self.history_of(state, key)
        if version_id is None:
            if versions and versions[0].is_marker:
                raise NoSuchKey("The specified key does not exist.", Key=key).with_headers(
                    x_amz_delete_marker="true", x_amz_version_id=versions[0].vid
                )
            if not versions:
                raise NoSuchKey("The specified key does not exist.", Key=key)
            return versions[0]
        for version in versions:
            if version.vid == version_id:
                return version
        raise NoSuchVersion("The specified version does not exist.", Key=key, VersionId=version_id)

    def bucket_config(self, bucket: str, root: CID | None = None) -> Config:
        """The bucket's configuration document now, or at ``root`` (see :meth:`config_of`)."""
        return self.config_of(self.snapshot(bucket, root)[1])

    def manifest(self, cid: CID) -> ObjectManifest:
        """The manifest stored as ``cid`` (verified when read; decoded ones are cached)."""
        manifest = self._manifests.get(cid)
        if manifest is None:
            manifest = ObjectManifest.decode(self.store.get(cid), cid)
            self._manifests.put(cid, manifest)
        return manifest

    def version_of_key(self, bucket: str, key: str, version_id: str | None, root: CID | None = None) -> Version:
        """:meth:`version_of` in the bucket now (or at ``root``)."""
        return self.version_of(self.state_of(self.snapshot(bucket, root)[1]), key, version_id)

    def list_versions(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_marker: str = "",
        max_keys: int = 1000,
        root: CID | None = None,
    ) -> VersionPage:
        """One ListObjectVersions page of the bucket now (or at ``root``): see
        :func:`moto_forge.bucket.versions.list_versions`."""
        _, node = self.snapshot(bucket, root)
        state = self.state_of(node)
        start = max(prefix, key_marker)
        sources = [state.objects.items(start)]
        if state.versions is not None:
            sources.append(state.versions.items(start))
        return list_versions(
            merged_keys(*sources), lambda key: self.history_of(state, key), prefix, delimiter, key_marker,
            version_marker, max_keys,
        )  # fmt: skip

    def head_object(
        self, bucket: str, key: str, root: CID | None = None, version_id: str | None = None
    ) -> tuple[ObjectManifest, CID]:
        """The object's manifest and its CID; ``NoSuchKey`` if absent."""
        found = self.find_object(bucket, key, root, version_id)
        return found.manifest, found.cid

    def find_object(
        self,
        bucket: str,
        key: str,
        root: CID | None = None,
        version_id: str | None = None,
        record: BucketRecord | None = None,
    ) -> FoundObject:
        """The object (its version ``version_id``, else its current one) and the bucket root
        it was found at (now, or ``root`` from the bucket's history); ``NoSuchKey`` if absent,
        ``NoSuchVersion`` for an unknown version; a delete marker asked for by its version id
        is 405 ``MethodNotAllowed`` (with ``x-amz-delete-marker``), as S3 answers.
        ``record``: as :meth:`snapshot`'s."""
        check_key(key)
        at, node = self.snapshot(bucket, root, record)
        state = self.state_of(node)
        if state.versions is None and state.status is None:  # never versioned: one tree lookup
            if version_id is None:
                cid = state.objects.get(key)
                if cid is None:
                    raise NoSuchKey("The specified key does not exist.", Key=key)
                return FoundObject(self.manifest(cid), cid, at, None)
            if version_id != NULL:  # S3: such a bucket has no version id but null (400, not NoSuchVersion)
                raise InvalidArgument(
                    "Invalid version id specified", ArgumentName="versionId", ArgumentValue=version_id[:100]
                )
        version = self.version_of(state, key, version_id)
        if version.manifest is None:
            refused = MethodNotAllowed(
                "The specified method is not allowed against this resource.", Method="GET", ResourceType="DeleteMarker"
            )
            when = formatdate(version.time, usegmt=True)
            raise refused.with_headers(
                x_amz_delete_marker="true", x_amz_version_id=version.vid, Last_Modified=when, Allow="DELETE"
            )
        return FoundObject(self.manifest(version.manifest), version.manifest, at, version.vid)

    def read_body(self, manifest: ObjectManifest, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Verified body bytes ``[start, end)``, chunk by chunk; reads only the chunks needed
        (the next ones on a thread while the caller sends this one: :meth:`BlockStore.get_many`)."""
        size = manifest.body.size
        end = size if end is None else min(end, size)
        if start > end or (start >= size and size > 0):
            raise InvalidRange("The requested range is not satisfiable", RangeRequested=f"bytes={start}-{end}")
        chunks: deque[Span] = deque()

        def cids() -> Iterator[CID]:
            for span in spans(self.store, manifest.body.format, manifest.body.root, start, end, self._body_nodes):
                chunks.append(span)
                yield span.cid

        for data in self.store.get_many(cids()):
            span = chunks.popleft()
            if len(data) < span.end:
                raise ManifestError(f"chunk {span.cid} has {len(data)} bytes, the index needs {span.end}")
            yield data if span.start == 0 and span.end == len(data) else data[span.start : span.end]

    def part_sizes(self, manifest: ObjectManifest) -> list[int]:
        """The sizes of the parts a body was uploaded in (one part for a single PUT)."""
        if manifest.body.format == CONCAT_V1:
            return [size for size, _ in read_parts(self.store, manifest.body.root)]
        return [manifest.body.size]

    def part_checksums(self, manifest: ObjectManifest) -> list[str | None]:
        """Each part's own checksum in the manifest's algorithm, where the object keeps them
        (``COMPOSITE`` multipart checksums); ``None`` for a part without one."""
        if manifest.body.format == CONCAT_V1:
            return part_checksums(self.store, manifest.body.root)
        return [None]

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
        root: CID | None = None,
    ) -> ListPage[ListingEntry]:
        """One listing page: keys with what ListObjects shows of each, and common prefixes.

        The current root is served from the listing index (rebuilt first if it
        is stale); an older ``root`` from its MST and manifests.
        """
        record = self.head_bucket(bucket)
        if (root is None or root == record.root) and (record.listed_root == record.root or not self.registry.read_only):
            if record.listed_root != record.root:
                self.rebuild_listing(bucket)
            page = list_page(
                lambda s, inc: self.registry.listing_entries(bucket, s, inc), prefix, delimiter, start_after, max_keys
            )
            page.root = record.root
            return page
        tree = self.tree(bucket, root)  # an older root, or a stale index a read-only registry cannot rebuild
        page = list_page(lambda s, inc: self.entries_of_tree(tree, s, inc), prefix, delimiter, start_after, max_keys)
        page.root = root or record.root
        return page

    def entries_of_tree(
        self, tree: MST, start: bytes | None = None, inclusive: bool = True
    ) -> Iterator[tuple[bytes, ListingEntry]]:
        """``(key, listing entry)`` of every key of ``tree`` from ``start``, in order, the slow
        way (one manifest read per key): what the listing index must hold for that tree."""
        for key, cid in tree.items(start, inclusive=inclusive):
            yield key, listing_entry(cid, self.manifest(cid))

    def bucket_totals(self, bucket: str) -> tuple[int, int]:
        """``(objects, bytes)`` of the bucket's current keys (from the listing index, rebuilt
        first if it is stale; a write racing the count may or may not be in it)."""
        record = self.head_bucket(bucket)
        if record.listed_root != record.root:
            if self.registry.read_only:
                entries = [entry for _, entry in self.entries_of_tree(self.tree(bucket))]
                return len(entries), sum(entry.size for entry in entries)
            self.rebuild_listing(bucket)
        return self.registry.listing_totals(bucket)

    def rebuild_listing(self, bucket: str) -> int:
        """Rebuild the bucket's listing index from its current MST (one manifest read per
        key); return the number of keys.  A write racing it just leaves it stale again."""
        with self._lock(bucket):
            record = self.head_bucket(bucket)
            tree = self.objects_of(self.bucket_root(record.root))
            entries = [entry for _, entry in self.entries_of_tree(tree)]
            self.registry.rebuild_listing(bucket, record.root, entries)
            return len(entries)
