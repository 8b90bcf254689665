"""Multipart uploads: parts stream into CARs of their own; completion writes one
``concat-v1`` part list and a manifest, reusing every part's chunks (no byte
is copied or rehashed).  The ETag is S3's ``hex(md5(part md5s))-N``."""

from __future__ import annotations

import hashlib
import io
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from moto_forge.blocks import PendingCar
from moto_forge.bucket.commits import MAX_EPOCH_RETRIES
from moto_forge.bucket.conditions import check_conditions, check_key
from moto_forge.bucket.writes import WriteResult, Writes, no_such_upload
from moto_forge.errors import (
    BadDigest,
    BlobsSwept,
    EntityTooSmall,
    ForgeError,
    GcEpochChanged,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    NoSuchUpload,
)
from moto_forge.objects import CONCAT_V1, FIXED_V1, Body, ChunkedBody, ObjectManifest, checksums, chunk_stream
from moto_forge.objects.body import MAX_PARTS, write_parts
from moto_forge.objects.chunker import Checksummer, Readable
from moto_forge.registry import CompletedUploadRecord, PartRecord, UploadRecord

MIN_PART_SIZE = 5 << 20
"""S3's minimum size for every part but the last."""
COMPLETION_WAIT = 2.0
"""Seconds a completion that lost its upload to a concurrent one waits for that one's record."""


class _Chain(io.RawIOBase):
    """A readable over an iterator of byte strings (a source object's body)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            more = next(self._chunks, None)
            if more is None:
                break
            self._buf += more
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out


def check_part_number(part_number: int, upload_id: str) -> None:
    """S3 part numbers run from 1 to 10 000: above, ``InvalidArgument`` naming the value;
    below 1, S3 (and moto) answer that no such upload part exists (``NoSuchUpload``)."""
    if part_number < 1:
        raise no_such_upload(upload_id)
    if part_number > MAX_PARTS:
        raise InvalidArgument(f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive",
                              ArgumentName="partNumber", ArgumentValue=str(part_number))  # fmt: skip


def upload_algorithm(meta: dict[str, Any]) -> str | None:
    """The upload's checksum algorithm, lower-case (older uploads kept it upper-case)."""
    algorithm = meta.get("checksum_algorithm")
    return algorithm.lower() if isinstance(algorithm, str) and algorithm else None


def upload_checksum_type(meta: dict[str, Any]) -> str | None:
    """``COMPOSITE`` / ``FULL_OBJECT`` for an upload with a checksum algorithm (older uploads
    kept only the algorithm: S3's default type for it)."""
    algorithm = upload_algorithm(meta)
    return (meta.get("checksum_type") or checksums.default_type(algorithm)) if algorithm else None


def multipart_etag(part_etags: Sequence[str]) -> str:
    """``hex(md5(concatenated binary part MD5s))-N``."""
    digest = hashlib.md5(b"".join(bytes.fromhex(e) for e in part_etags)).hexdigest()
    return f"{digest}-{len(part_etags)}"


class MultipartUploads:
    """The multipart operations of a :class:`~moto_forge.bucket.service.BucketService`, over
    its reads and writes (:class:`Writes`: no import of the service, so no import cycle)."""

    def __init__(self, service: Writes, min_part_size: int = MIN_PART_SIZE) -> None:
        self.service = service
        self.min_part_size = min_part_size

    def create(self, bucket: str, key: str, meta: dict[str, Any] | None = None) -> str:
        """Start an upload; ``meta`` holds the future object's content type, metadata, headers, tags."""

        check_key(key)
        self.service.head_bucket(bucket)
        upload_id = secrets.token_urlsafe(24)
        self.service.registry.create_upload(upload_id, bucket, key, dict(meta or {}))
        return upload_id

    def get(self, bucket: str, upload_id: str) -> UploadRecord:
        upload = self.service.registry.get_upload(upload_id)
        if upload is None or upload.bucket != bucket:
            raise no_such_upload(upload_id)
        return upload

    def upload_part(
        self,
        bucket: str,
        upload_id: str,
        part_number: int,
        body: Readable,
        checksummers: Sequence[Checksummer] = (),
        validate: Callable[[ChunkedBody], None] | None = None,
        upload: UploadRecord | None = None,
    ) -> PartRecord:
        """Store one part in a CAR of its own (root = the part's ``fixed-v1`` index).
        ``upload``: the upload as the caller already read it (:meth:`get`), else read here."""
        check_part_number(part_number, upload_id)
        if upload is None or upload.upload_id != upload_id or upload.bucket != bucket:
            upload = self.get(bucket, upload_id)
        algorithm = upload_algorithm(upload.meta)
        if algorithm and all(c.algorithm != algorithm for c in checksummers):
            checksummers = [*checksummers, checksums.Checksum(algorithm)]  # S3 computes the upload's own
        space = self.service.head_bucket(bucket).space
        with PendingCar(self.service.blobs) as car:
            chunked = chunk_stream(body, car.add, self.service.chunk_size, checksummers)
            if validate is not None:
                validate(chunked)
            part_checksums = {c.algorithm: c.b64() for c in checksummers}
            part = PartRecord(
                part_number, chunked.size, chunked.md5.hex(), chunked.root, part_checksums, self.service.clock()
            )
            stored = None
            for _ in range(MAX_EPOCH_RETRIES):
                placed = self.service.registry.gc_epoch()  # before the files are placed (see BlobsSwept)
                if stored is None or not self.service.still_placed([stored]):
                    stored = self.service.finish(car, chunked.root, space)
                try:
                    if not self.service.registry.put_part(upload_id, part, stored.records, placed=placed):
                        raise no_such_upload(upload_id)
                except BlobsSwept:
                    continue
                self.service.blobs.drop(record.multihash for record in stored.records)
                return part
            raise GcEpochChanged()

    def upload_part_copy(
        self,
        bucket: str,
        upload_id: str,
        part_number: int,
        src_bucket: str,
        src_key: str,
        byte_range: tuple[int, int] | None = None,
    ) -> PartRecord:
        """A part from (a range of) another object.  A whole single-PUT source reuses its
        chunk index as is (and its checksum, when it has the upload's algorithm); anything
        else is re-chunked from verified source bytes."""
        for _ in range(MAX_EPOCH_RETRIES):
            epoch = self.service.registry.gc_epoch()  # before the source is read (the gc fence)
            source, _ = self.service.head_object(src_bucket, src_key)
            body = source.body
            if not (byte_range is None and body.format == FIXED_V1 and body.md5 is not None):
                break
            check_part_number(part_number, upload_id)
            algorithm = upload_algorithm(self.get(bucket, upload_id).meta)
            known = {algorithm: source.checksums[algorithm]} if algorithm in source.checksums else {}
            if algorithm and not known:
                break
            part = PartRecord(part_number, body.size, body.md5.hex(), body.root, known, self.service.clock())
            try:
                shared = self.service.shared_body(epoch, source)
                if not self.service.registry.put_part(upload_id, part, [], shared):
                    raise no_such_upload(upload_id)
            except GcEpochChanged:
                continue
            return part
        else:
            raise GcEpochChanged()
        start, end = byte_range if byte_range is not None else (0, body.size)
        stream = _Chain(self.service.read_body(source, start, end))
        return self.upload_part(bucket, upload_id, part_number, stream)

    def list_parts(self, bucket: str, upload_id: str) -> list[PartRecord]:
        self.get(bucket, upload_id)
        return self.service.registry.list_parts(upload_id)

    def list_uploads(self, bucket: str) -> list[UploadRecord]:
        self.service.head_bucket(bucket)
        return self.service.registry.list_uploads(bucket)

    def abort(self, bucket: str, upload_id: str) -> None:
        self.get(bucket, upload_id)
        if not self.service.registry.delete_upload(upload_id):
            raise no_such_upload(upload_id)

    def complete(
        self,
        bucket: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        if_match: str | None = None,
        if_none_match: str | None = None,
        min_part_size: int | None = None,
        full_checksum: str | None = None,
    ) -> WriteResult:
        """Assemble the listed ``(part number, ETag)`` parts into the object, atomically
        consuming the upload (every part but the last at least ``min_part_size``, default
        :attr:`min_part_size`).  An upload with a checksum algorithm gets the object's
        checksum (``COMPOSITE`` or ``FULL_OBJECT``) from its parts' checksums; the client's
        ``full_checksum`` of the whole object, when given, must equal it (``BadDigest``)."""

        done = self._completed(bucket, upload_id, parts)
        if done is not None:
            return done
        upload = self.get(bucket, upload_id)
        if not parts:
            raise InvalidArgument("You must specify at least one part", ArgumentName="MultipartUpload")
        numbers = [n for n, _ in parts]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise InvalidPartOrder("The list of parts was not in ascending order.", UploadId=upload_id)
        stored = {p.part_number: p for p in self.service.registry.list_parts(upload_id)}
        chosen: list[PartRecord] = []
        for number, etag in parts:
            part = stored.get(number)
            if part is None or part.etag != etag.strip().strip('"'):
                raise InvalidPart(
                    "One or more of the specified parts could not be found or its ETag did not match.",
                    PartNumber=str(number),
                )
            chosen.append(part)
        for part in chosen[:-1]:
            if part.size < (self.min_part_size if min_part_size is None else min_part_size):
                raise EntityTooSmall(
                    "Your proposed upload is smaller than the minimum allowed object size.",
                    PartNumber=str(part.part_number),
                )
        meta = upload.meta
        object_checksums, part_values = _object_checksum(meta, chosen, full_checksum)
        with PendingCar(self.service.blobs) as car:
            parts_root = write_parts([(p.size, p.root) for p in chosen], car.add, part_values)
            manifest = ObjectManifest(
                key=upload.key,
                body=Body(sum(p.size for p in chosen), None, None, parts_root, CONCAT_V1),
                etag=multipart_etag([p.etag for p in chosen]),
                created=self.service.timestamp(),
                content_type=meta.get("content_type") or "application/octet-stream",
                metadata=dict(meta.get("metadata") or {}),
                headers=dict(meta.get("headers") or {}),
                tags=dict(meta.get("tags") or {}),
                parts=len(chosen),
                checksums=object_checksums,
                checksum_type=upload_checksum_type(meta) if object_checksums else None,
                attributes=dict(meta.get("attributes") or {}),
            )

            def change(current: ObjectManifest | None) -> ObjectManifest:
                check_conditions(upload.key, current, if_match, if_none_match)
                return manifest

            try:
                result = self.service.update_object(
                    bucket, upload.key, change, f"CompleteMultipartUpload {upload.key}", car, upload_id
                )
            except NoSuchUpload:  # completed by a concurrent request meanwhile: answer as it does
                done = self._await_completed(bucket, upload_id, parts)
                if done is None:
                    raise
                return done
        assert result.manifest_cid is not None
        record = CompletedUploadRecord(upload_id, bucket, upload.key, _parts_digest(parts), result.manifest_cid,
                                       result.version_id, self.service.clock())  # fmt: skip
        self.service.registry.record_completed(record)
        return result

    def _await_completed(self, bucket: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> WriteResult | None:
        """:meth:`_completed`, waiting up to :data:`COMPLETION_WAIT` seconds for the concurrent
        completion that consumed the upload to record itself (it does so right after its commit)."""
        deadline = time.monotonic() + COMPLETION_WAIT
        while True:
            done = self._completed(bucket, upload_id, parts)
            if done is not None or time.monotonic() > deadline:
                return done
            time.sleep(0.01)

    def _completed(self, bucket: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> WriteResult | None:
        """The answer of an earlier completion of ``upload_id`` with the same parts (S3 repeats
        it, whatever the conditions), if the upload was completed and its object is still readable."""
        done = self.service.registry.get_completed(upload_id)
        if done is None or done.bucket != bucket or done.parts != _parts_digest(parts):
            return None
        record = self.service.registry.get_bucket(bucket)
        if record is None:
            return None
        try:
            manifest = ObjectManifest.decode(self.service.store.get(done.manifest), done.manifest)
        except ForgeError:  # its blocks were collected since (the object is gone)
            return None
        return WriteResult(record.root, record.seq, manifest, done.manifest, done.version_id)


def _object_checksum(
    meta: dict[str, Any], chosen: Sequence[PartRecord], full_checksum: str | None
) -> tuple[dict[str, str], list[str]]:
    """The completed object's ``ck`` and the parts' ``k`` values (``COMPOSITE`` only)."""
    algorithm = upload_algorithm(meta)
    if not algorithm:
        return {}, []
    values = [p.checksums.get(algorithm) for p in chosen]
    missing = [p.part_number for p, v in zip(chosen, values, strict=True) if v is None]
    if missing:
        raise InvalidPart(f"Part {missing[0]} has no {algorithm} checksum, which this upload requires.",
                          PartNumber=str(missing[0]))  # fmt: skip
    present = [v for v in values if v is not None]
    if upload_checksum_type(meta) == "FULL_OBJECT":
        value = checksums.full_object(algorithm, [(v, p.size) for v, p in zip(present, chosen, strict=True)])
        part_values: list[str] = []
    else:
        value = checksums.composite(algorithm, present)
        part_values = present
    if full_checksum is not None and full_checksum.partition("-")[0] != value:
        raise BadDigest(f"The {algorithm.upper()} you specified did not match the calculated checksum.")
    return {algorithm: value}, part_values


def _parts_digest(parts: Sequence[tuple[int, str]]) -> str:
    """A digest of a CompleteMultipartUpload's (part number, ETag) list (ETags unquoted)."""
    lines = [f"{number} {etag.strip().strip(chr(34))}" for number, etag in parts]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
