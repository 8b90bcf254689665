"""Writes: every object change as one commit, grouped with the bucket's other writers
waiting at that moment, stored as one CAR per write and recorded with one compare-and-swap
(see :mod:`moto_forge.bucket.service` for the whole write path)."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from moto_forge.blocks import PendingCar, StoredCar
from moto_forge.blocks.blobstore import disk_full
from moto_forge.blocks.journal import JOURNAL_LIMIT, Kept, journal_of
from moto_forge.bucket.actor import current_actor
from moto_forge.bucket.commits import MAX_EPOCH_RETRIES, CommitRequest
from moto_forge.bucket.conditions import check_conditions, check_key, listing_entry
from moto_forge.bucket.reads import Reads
from moto_forge.bucket.root import BucketRoot, Config, encode_config
from moto_forge.bucket.state import existing
from moto_forge.bucket.versions import (
    BucketState,
    Version,
    decode_versions,
    delete_current,
    delete_version,
    put_version,
    replace_manifest,
)
from moto_forge.errors import (
    BlobsSwept,
    ConflictError,
    GcEpochChanged,
    NoSuchKey,
    NoSuchUpload,
    StorageError,
)
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID
from moto_forge.mst import MST
from moto_forge.objects import FIXED_V1, Body, ChunkedBody, ObjectManifest, chunk_stream
from moto_forge.objects.body import iter_links
from moto_forge.objects.chunker import Checksummer, Readable
from moto_forge.registry import (
    ListingChanges,
    ListingEntry,
    RootStep,
    SharedBlocks,
)

EMPTY_OBJECTS = MST.empty(MemoryBlocks()).root
EMPTY_ROOT = BucketRoot(EMPTY_OBJECTS).encode()[0]
"""The root of a new bucket without configuration: no objects, ``config: null``."""
MAX_CAS_ATTEMPTS = 50

"""Lost compare-and-swaps in a row before a write gives up with :class:`ConflictError`."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a committed write produced: the bucket's new root and its history seq."""

    root: CID
    seq: int
    manifest: ObjectManifest | None = None
    manifest_cid: CID | None = None
    version_id: str | None = None
    """The version the write made or removed (``None``: the bucket was never versioned)."""
    delete_marker: bool = False
    """The version made or removed is a delete marker."""
    deleted: tuple[tuple[str, Version | None], ...] = ()
    """DeleteObjects: each key and the version it made or removed."""
    refused: tuple[str, ...] = ()
    """DeleteObjects: the keys whose version ``locked`` kept (Object Lock)."""


@dataclass(frozen=True, slots=True)
class _Step:
    """Where a request of a group commit leaves the bucket: after the first ``after``
    root-changing steps of its batch (``changed``: the last of them is its own)."""

    after: int
    changed: bool


def no_such_upload(upload_id: str) -> NoSuchUpload:
    """S3's NoSuchUpload, with its message."""
    return NoSuchUpload(
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or "
        "completed.",
        UploadId=upload_id,
    )


@dataclass(frozen=True, slots=True)
class PreparedManifest:
    """A manifest validated and encoded, with its listing entry, before its write waits
    for the bucket's commit turn: what the commit step would otherwise do inside it."""

    manifest: ObjectManifest
    cid: CID
    data: bytes
    listed: ListingEntry

    @classmethod
    def of(cls, manifest: ObjectManifest) -> PreparedManifest:
        manifest.validate()
        cid, data = manifest.encode()
        return cls(manifest, cid, data, listing_entry(cid, manifest))


class Writes(Reads):
    """The write operations of :class:`~moto_forge.bucket.service.BucketService`."""

    def finish(self, car: PendingCar, root: CID, space: str | None = None) -> StoredCar:
        """Store a CAR and its index, and publish them to ``space`` (if a publisher is set)
        before any commit: :meth:`_store_all` of one CAR."""
        return self._store_all([(car, root)], space, commits=False)[0][0]

    def commit(
        self,
        bucket: str,
        operation: str,
        mutate: Callable[[BucketState, PendingCar], BucketState],
        pending: PendingCar | None = None,
        consume_upload: str | None = None,
        listing: ListingChanges | None = None,
        shared: SharedBlocks | None = None,
    ) -> WriteResult:
        """Apply ``mutate`` to the bucket's current state (objects, versions, configuration)
        and commit it (see the module doc).

        ``shared``: the blocks ``mutate`` references outside its CAR and the bucket's
        tree (a copy's source body); the write fails with :class:`GcEpochChanged` if a
        gc sweep ran since they were read and took any of them.

        ``mutate`` may add blocks to the CAR it is given (a manifest); on a
        retry they are rewound and it runs again on the new root.  When the
        root does not change nothing is stored (everything it reaches is
        already stored).  ``listing``, filled by ``mutate`` on each attempt,
        says which keys it changed, for the listing index (without it the
        index goes stale and the next listing rebuilds it).  Concurrent
        commits of one bucket are decided together (:mod:`moto_forge.bucket.commits`):
        the outcome is the one of running them one after another.
        """
        car = pending or PendingCar(self.blobs)
        try:
            request = CommitRequest(operation, mutate, car, car.mark(), consume_upload, listing, shared,
                                    current_actor.get())  # fmt: skip
            result: WriteResult = self._queue(bucket).run(
                request, lambda batch: self._decide(bucket, batch), lambda: self.commit_turns.held(bucket)
            )
            return result
        finally:
            if pending is None:
                car.discard()

    def _decide(self, bucket: str, batch: list[CommitRequest]) -> None:
        """Commit ``batch`` (oldest first) as if one request ran after another, then decide
        each (the caller holds the bucket's commit lock).

        Each request's change applies to the tree the one before it left; a
        request whose change raises (a failed precondition) is decided with
        that error and changes nothing.  Each request that changes the root
        gets its CAR (its body, manifest and the MST nodes its step made) and
        index stored; all of them are made durable with one sync and
        recorded with one :meth:`Registry.swap_roots` (one history row each).
        A lost swap (another process moved the root) rewinds every CAR and
        decides the batch again on the new root.  Outcomes are set only once
        the swap has succeeded, so none depends on a step that was not committed.
        """
        live = list(batch)
        for attempt in range(MAX_CAS_ATTEMPTS):
            # the epoch before any file is placed (a sweep may delete same-named ones)
            found, placed = self.registry.get_bucket_at_epoch(bucket)
            record = existing(bucket, found)
            node = self.bucket_root(record.root)
            state = self.state_of(node)
            root = record.root
            outcomes: list[tuple[CommitRequest, Exception | _Step]] = []
            changed: list[tuple[CommitRequest, BucketState, CID]] = []
            consumed: set[str] = set()
            for request in live:
                request.car.rewind(request.mark)
                upload = request.consume_upload
                if upload is not None and upload in consumed:  # an earlier step of this batch completed it
                    outcomes.append((request, no_such_upload(upload)))
                    continue
                try:
                    new_state = request.mutate(state, request.car)
                    objects, blocks = new_state.objects.commit()
                    versions = None
                    if new_state.versions is not None:
                        versions, version_blocks = new_state.versions.commit()
                        blocks += version_blocks
                    config = new_state.config
                    config_block = self._config_block(config) if config is not state.config else None
                except Exception as exc:  # this request's own failure (a precondition): the others go on
                    request.car.rewind(request.mark)
                    outcomes.append((request, exc))
                    continue
                if upload is not None:
                    consumed.add(upload)
                new_node = BucketRoot(objects, node.config if config_block is None else config_block[0], versions)
                if new_node != node:
                    for cid, data in blocks:
                        request.car.add(cid, data)
                    if config_block is not None and config_block[0] is not None:
                        request.car.add(config_block[0], config_block[1])
                    new_root, data = new_node.encode()
                    request.car.add(new_root, data)
                    self._roots.put(new_root, new_node)
                    changed.append((request, new_state, new_root))
                    state, node, root = new_state, new_node, new_root
                outcomes.append((request, _Step(len(changed), bool(changed) and changed[-1][0] is request)))
            seqs: list[int] = []
            if changed:
                stored, kept = self._store_all(
                    [(request.car, new_root) for request, _, new_root in changed], record.space, commits=True
                )
                steps = [
                    RootStep(
                        new_root,
                        request.operation,
                        tuple(car.records),
                        request.consume_upload,
                        request.listing,
                        request.shared,
                        request.actor,
                    )
                    for (request, _, new_root), car in zip(changed, stored, strict=True)
                ]
                try:
                    swapped = self._swap_placed(bucket, record.root, steps, stored, placed, kept)
                except BlobsSwept:  # a file is gone: place every file again (rewind + finish), then commit
                    continue
                except GcEpochChanged as exc:  # those steps read sources a sweep may have taken
                    stale = {id(changed[n][0]) for n in exc.steps}
                    for request in live:
                        if id(request) in stale:
                            request.decide(exc)
                    live = [request for request in live if id(request) not in stale]
                    if not live:
                        return
                    continue
                if swapped is None:
                    live = self._without_vanished_uploads(live)
                    if not live:
                        return
                    time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                    continue
                seqs = swapped
                self.blobs.drop(record.multihash for car in stored for record in car.records)
                for _, committed, _ in changed:
                    committed.objects.adopt_into_cache()
                    if committed.versions is not None:
                        committed.versions.adopt_into_cache()
                if kept.journal and self.journal_flusher is not None:
                    self.journal_flusher.wake.set()
                if self.shipper is not None:
                    self.shipper.wake.set()
                if self.publish is not None:
                    self.registry.set_forge_root(bucket, root)  # everything this root needs is in Forge
            for request, outcome in outcomes:
                if isinstance(outcome, Exception):
                    request.decide(outcome)
                    continue
                after = outcome.after
                result = WriteResult(
                    changed[after - 1][2] if after else record.root, seqs[after - 1] if after else record.seq
                )
                upload = request.consume_upload
                # an unchanged root consumed no upload in the swap: consume it now
                if not outcome.changed and upload is not None and not self.registry.delete_upload(upload):
                    request.decide(no_such_upload(upload))
                    continue
                request.decide(result)
            return
        for request in live:
            request.decide(ConflictError(bucket, MAX_CAS_ATTEMPTS))

    def _config_block(self, config: Config) -> tuple[CID | None, bytes]:
        """The block of configuration document ``config`` (``None``: no configuration at all),
        its decoded value cached."""
        if not config:
            return None, b""
        cid, data = encode_config(config)
        self._configs.put(cid, config)
        return cid, data

    def _versions_sink(self, car: PendingCar) -> Callable[[CID, bytes], None]:
        """Where a write's version lists go: its CAR, and the decoded-list cache (a later
        step of the same commit reads them before they are stored)."""

        def add(cid: CID, data: bytes) -> None:
            car.add(cid, data)
            self._version_lists.put(cid, decode_versions(data, cid))

        return add

    def configure(self, bucket: str, operation: str, change: Callable[[Config], Config]) -> WriteResult:
        """Set the bucket's configuration document to ``change(a copy of the current one)``,
        atomically with the read (as one commit: a configuration write is a write like any
        other, one CAR and one new root)."""
        return self.commit(
            bucket, operation, lambda state, car: dataclasses.replace(state, config=change(dict(state.config)))
        )

    def _swap_placed(
        self,
        bucket: str,
        expected: CID,
        steps: list[RootStep],
        stored: list[StoredCar],
        placed: int,
        kept: Kept,
    ) -> list[int] | None:
        """:meth:`Registry.swap_roots` (carrying ``kept``'s blob bytes), where a sweep since
        the files were placed (epoch ``placed``) is survived when every file is still there:
        a sweep deletes files inside its fence, so the files present after reading the new
        epoch stay until a later one."""
        for _ in range(MAX_EPOCH_RETRIES):
            try:
                return self.registry.swap_roots(bucket, expected, steps, placed, kept.journal, kept.inline)
            except BlobsSwept:
                placed = self.registry.gc_epoch()
                if not self.still_placed(stored):
                    raise
        raise BlobsSwept()

    def still_placed(self, stored: Sequence[StoredCar]) -> bool:
        """Whether every blob file of ``stored`` is in the blob store (see :meth:`_swap_placed`;
        an unplaced blob has no file a sweep could take)."""
        return all(self.blobs.has_file(record.multihash) for car in stored if car.placed for record in car.records)

    def _store_all(
        self, cars: list[tuple[PendingCar, CID]], space: str | None, *, commits: bool
    ) -> tuple[list[StoredCar], Kept]:
        """Store each CAR and its index for its root, then either make them all durable with
        one sync, or (``commits``: each CAR is a write committing its root in one root swap,
        and they are small: :mod:`moto_forge.blocks.journal`) return the bytes the swap
        must carry into the registry instead; then publish them to ``space`` (if a
        publisher is set) in order, before any commit (a committed root registered as an
        upload).

        Small blobs get no file at all (unplaced: the registry holds them inline) on the
        embedded store alone (:meth:`_embedded_only`)."""
        journal = commits and self.registry.journaling
        place = not journal or not self._embedded_only()
        keep = JOURNAL_LIMIT if journal else 0
        stored = [car.finish(root, sync=False, keep_up_to=keep, place=place) for car, root in cars]
        kept, must_sync = journal_of(self.registry, stored)
        if must_sync:
            self.blobs.sync([record.multihash for car in stored if car.placed for record in car.records])
        if self.publish is not None:
            for car, (_, root) in zip(stored, cars, strict=True):
                self.publish(car, space, root if commits else None)
        return stored, kept

    def _embedded_only(self) -> bool:
        """Whether this store has no Forge at all: no publisher (sync mode), no outbox (async
        mode: whichever worker ships reads the files, maybe soon after the commit), no reads
        through to Forge, no store that drops its files.  Only then may a small write's
        blobs live in the registry instead of files."""
        return (
            self.publish is None
            and not self.registry.outbox
            and self.blobs.fetch_missing is None
            and not self.blobs.remote
        )

    def _without_vanished_uploads(self, live: list[CommitRequest]) -> list[CommitRequest]:
        """After a lost swap: decide (``NoSuchUpload``) the requests whose upload is gone."""
        still = []
        for request in live:
            upload = request.consume_upload
            if upload is not None and self.registry.get_upload(upload) is None:
                request.decide(no_such_upload(upload))
            else:
                still.append(request)
        return still

    def update_object(
        self,
        bucket: str,
        key: str,
        change: Callable[[ObjectManifest | None], ObjectManifest],
        operation: str,
        pending: PendingCar | None = None,
        consume_upload: str | None = None,
        shared: SharedBlocks | None = None,
        version_id: str | None = None,
        new_version: bool = True,
        prepared: PreparedManifest | None = None,
        reads_current: bool = True,
    ) -> WriteResult:
        """Set ``key`` to ``change(current manifest or None)``, atomically with the read
        (``shared``: see :meth:`commit`), as a new version of the key (in a versioned
        bucket); or, ``new_version=False``, in place of version ``version_id`` (``None``:
        the current one), keeping its version id (a tag change).  ``prepared``: a manifest
        ``change`` may return, already validated and encoded (outside the commit turn).
        ``reads_current=False``: ``change`` ignores its argument (an unconditional
        overwrite), so it gets ``None`` and the current manifest is not read."""
        written: list[tuple[ObjectManifest, CID, str | None]] = []
        listing = ListingChanges()

        def mutate(state: BucketState, car: PendingCar) -> BucketState:
            if new_version:
                current = state.objects.get(key)
            else:
                current = self.version_of(state, key, version_id).manifest
            manifest = change(self.manifest(current) if current is not None and reads_current else None)
            if prepared is not None and manifest is prepared.manifest:
                cid, data = prepared.cid, prepared.data
            else:
                manifest.validate()
                cid, data = manifest.encode()
            car.add(cid, data)
            self._manifests.put(cid, manifest)  # immutable, and encoded from this very value
            vid = version_id
            if new_version:
                now = self.timestamp()
                state, vid = put_version(
                    state, key, cid, now, self.version_list, self.manifest_time, self._versions_sink(car)
                )
            else:
                state = replace_manifest(
                    state, key, version_id, cid, self.version_list, self.manifest_time, self._versions_sink(car)
                )
            written[:] = [(manifest, cid, vid)]
            if state.objects.get(key) != cid:
                listing.put[:] = []
            elif prepared is not None and cid == prepared.cid:
                listing.put[:] = [prepared.listed]
            else:
                listing.put[:] = [listing_entry(cid, manifest)]
            return state

        result = self.commit(bucket, operation, mutate, pending, consume_upload, listing, shared)
        manifest, cid, vid = written[0]
        return dataclasses.replace(result, manifest=manifest, manifest_cid=cid, version_id=vid)

    def write_manifest(
        self,
        bucket: str,
        manifest: ObjectManifest,
        operation: str,
        pending: PendingCar | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        consume_upload: str | None = None,
        shared: SharedBlocks | None = None,
    ) -> WriteResult:
        """Store ``manifest`` under its key, checking ``If-Match`` / ``If-None-Match`` atomically."""

        def change(current: ObjectManifest | None) -> ObjectManifest:
            check_conditions(manifest.key, current, if_match, if_none_match)
            return manifest

        conditional = if_match is not None or if_none_match is not None
        return self.update_object(bucket, manifest.key, change, operation, pending, consume_upload, shared,
                                  prepared=PreparedManifest.of(manifest), reads_current=conditional)  # fmt: skip

    def put_object(
        self,
        bucket: str,
        key: str,
        body: Readable,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        checksummers: Sequence[Checksummer] = (),
        validate: Callable[[ChunkedBody], None] | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        attributes: Callable[[Config], dict[str, str]] | None = None,
    ) -> WriteResult:
        """Stream ``body`` in and store it under ``key``.

        ``attributes`` gives the manifest's ``x`` from the bucket's configuration (its
        defaults), read before the body.

        ``checksummers`` compute S3 additional checksums in the same pass; their
        values are stored as full-object checksums.  ``validate`` sees the
        chunked body (size, MD5, SHA-256) after them and before anything is
        committed; raising there (a bad Content-MD5, say) stores nothing.
        """
        check_key(key)
        record = self.head_bucket(bucket)
        x = attributes(self.config_of(self.bucket_root(record.root))) if attributes is not None else {}
        with PendingCar(self.blobs) as car:
            chunked = chunk_stream(body, car.add, self.chunk_size, checksummers)
            if validate is not None:
                validate(chunked)
            manifest = ObjectManifest(
                key=key,
                body=Body(chunked.size, chunked.sha256, chunked.md5, chunked.root, FIXED_V1),
                etag=chunked.md5.hex(),
                created=self.timestamp(),
                content_type=content_type or "application/octet-stream",
                metadata=dict(metadata or {}),
                headers=dict(headers or {}),
                tags=dict(tags or {}),
                checksums={c.algorithm: c.b64() for c in checksummers},
                checksum_type="FULL_OBJECT" if checksummers else None,
                attributes=x,
            )
            return self.write_manifest(bucket, manifest, f"PutObject {key}", car, if_match, if_none_match)

    def delete_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        locked: Callable[[ObjectManifest], bool] | None = None,
        if_match: str | None = None,
    ) -> WriteResult:
        """Remove ``key`` (absent keys are not an error, as in S3): in a versioned bucket, put
        a delete marker on it; with ``version_id``, remove that version for good, unless
        ``locked`` says its manifest is locked (then ``refused`` names the key).
        ``if_match``: only if the object (the version ``version_id``, else the current one)
        has that ETag, decided in the commit: ``NoSuchKey`` when there is none, 412
        ``PreconditionFailed`` for another ETag; ``*`` asks only that it exist (S3's
        conditional deletes; moto read ``*`` as no condition)."""
        check_key(key)
        result = self.delete_objects(bucket, [(key, version_id)], f"DeleteObject {key}", locked, if_match)
        version = result.deleted[0][1] if result.deleted else None
        return dataclasses.replace(
            result, version_id=version.vid if version else None, delete_marker=bool(version and version.is_marker)
        )

    def _freeing(self, delete: Callable[[], WriteResult]) -> WriteResult:
        """Run ``delete``; on a full disk, give the blob store's reserve back and run it once
        more (a delete writes a little, and deleting then gc is how space comes back)."""
        try:
            result = delete()
        except StorageError as exc:
            if not disk_full(exc) or not self.blobs.release_reserve():
                raise
            result = delete()
        self.blobs.keep_reserve()
        return result

    def delete_objects(
        self,
        bucket: str,
        keys: Iterable[str | tuple[str, str | None]],
        operation: str | None = None,
        locked: Callable[[ObjectManifest], bool] | None = None,
        if_match: str | None = None,
    ) -> WriteResult:
        """Remove many keys (each a key, or a key and the version id to remove) in one commit
        (one CAR, one new root); see :meth:`delete_object`.  ``deleted`` of the result
        holds each key with the version it made or removed; ``refused`` the keys whose
        version ``locked`` kept, decided in the commit (atomic with the removal), as is
        ``if_match`` (for every key; a failed one fails the whole commit)."""
        wanted = [(item, None) if isinstance(item, str) else item for item in keys]
        for key, _ in wanted:
            check_key(key)
        outcome: list[tuple[str, Version | None]] = []
        refused: list[str] = []
        listing = ListingChanges()

        def mutate(state: BucketState, car: PendingCar) -> BucketState:
            outcome.clear()
            refused.clear()
            listing.put[:], listing.removed[:] = [], []
            now = self.timestamp()
            touched: dict[str, None] = {}
            for key, vid in wanted:
                read, sink = (self.version_list, self.manifest_time), self._versions_sink(car)
                if if_match is not None:
                    self._check_delete_condition(state, key, vid, if_match)
                if vid is None:
                    state, version = delete_current(state, key, now, *read, sink)
                else:
                    doomed = next((v for v in self.history_of(state, key) if v.vid == vid), None)
                    manifest = doomed.manifest if doomed is not None else None
                    if locked is not None and manifest is not None and locked(self.manifest(manifest)):
                        refused.append(key)
                        continue
                    state, version = delete_version(state, key, vid, *read, sink)
                outcome.append((key, version))
                touched[key] = None
            for key in touched:
                after = state.objects.get(key)
                if after is None:
                    listing.removed.append(key)
                else:
                    listing.put.append(listing_entry(after, self.manifest(after)))
            return state

        name = operation or f"DeleteObjects ({len(wanted)} keys)"
        result = self._freeing(lambda: self.commit(bucket, name, mutate, listing=listing))
        return dataclasses.replace(result, deleted=tuple(outcome), refused=tuple(refused))

    def _check_delete_condition(self, state: BucketState, key: str, vid: str | None, if_match: str) -> None:
        """A conditional delete's ``If-Match`` against the object it would remove (the
        version ``vid``, else the current one) in ``state``, the tree the commit applies to."""
        if vid is None:
            cid = state.objects.get(key)
        else:
            version = next((v for v in self.history_of(state, key) if v.vid == vid), None)
            cid = version.manifest if version is not None else None
        check_conditions(key, self.manifest(cid) if cid is not None else None, if_match, None)

    def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        replace: dict[str, object] | None = None,
        src_root: CID | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        src_version: str | None = None,
    ) -> WriteResult:
        """Server-side copy: a new manifest over the same body blocks (no byte is copied).

        ``replace`` overrides manifest fields (``content_type``, ``metadata``,
        ``headers``, ``tags``) as S3's ``REPLACE`` directives ask; ``src_version``
        copies that version of the source.
        """
        check_key(dst_key)
        for _ in range(MAX_EPOCH_RETRIES):
            epoch = self.registry.gc_epoch()  # before the source is read (the gc fence)
            source, _ = self.head_object(src_bucket, src_key, src_root, src_version)
            shared = self.shared_body(epoch, source)
            changes: dict[str, object] = {"key": dst_key, "created": self.timestamp()}
            changes.update(replace or {})
            manifest = dataclasses.replace(source, **changes)  # type: ignore[arg-type]
            try:
                return self.write_manifest(
                    dst_bucket, manifest, f"CopyObject {dst_key}", None, if_match, if_none_match, shared=shared
                )
            except GcEpochChanged:
                continue
        raise GcEpochChanged()

    def shared_body(self, epoch: int, manifest: ObjectManifest) -> SharedBlocks:
        """The blocks of ``manifest``'s body, read at gc ``epoch``, for a write that shares them."""
        return SharedBlocks(epoch, tuple(iter_links(self.store, manifest.body.format, manifest.body.root)))

    def set_object_tags(
        self, bucket: str, key: str, tags: dict[str, str], version_id: str | None = None
    ) -> WriteResult:
        """Replace the tags of the object (its version ``version_id``, else its current one)."""
        return self.edit_object(bucket, key, {"tags": dict(tags)}, f"PutObjectTagging {key}", version_id)

    def edit_object(
        self, bucket: str, key: str, changes: dict[str, object], operation: str, version_id: str | None = None
    ) -> WriteResult:
        """Change manifest fields of the object (its version ``version_id``, else its current
        one): a new manifest over the same body, in place of the old one (no new version,
        as S3 makes none for a tag change)."""
        check_key(key)

        def change(current: ObjectManifest | None) -> ObjectManifest:
            if current is None:
                raise NoSuchKey("The specified key does not exist.", Key=key)
            return dataclasses.replace(current, **changes)  # type: ignore[arg-type]

        return self.update_object(bucket, key, change, operation, version_id=version_id, new_version=False)
