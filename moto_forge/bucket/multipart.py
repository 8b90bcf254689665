"""Multipart uploads: parts stream into CARs of their own; completion writes one
``concat-v1`` part list and a manifest, reusing every part's chunks (no byte
is copied or rehashed).  The ETag is S3's ``hex(md5(part md5s))-N``."""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from moto_forge.blocks import PendingCar
from moto_forge.bucket.commits import MAX_EPOCH_RETRIES
from moto_forge.bucket.conditions import check_conditions, check_key
from moto_forge.bucket.writes import WriteResult, Writes, no_such_upload
from moto_forge.errors import (
    BlobsSwept,
    EntityTooSmall,
    GcEpochChanged,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
)
from moto_forge.objects import CONCAT_V1, FIXED_V1, Body, ChunkedBody, ObjectManifest, chunk_stream
from moto_forge.objects.body import MAX_PARTS, write_parts
from moto_forge.objects.chunker import Checksummer, Readable
from moto_forge.registry import PartRecord, UploadRecord

MIN_PART_SIZE = 5 << 20
"""S3's minimum size for every part but the last."""


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


def check_part_number(part_number: int) -> None:
    """S3 part numbers run from 1 to 10 000 (``InvalidArgument`` otherwise)."""
    if not 1 <= part_number <= MAX_PARTS:
        raise InvalidArgument(f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive",
                              ArgumentName="partNumber")  # fmt: skip


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
    ) -> PartRecord:
        """Store one part in a CAR of its own (root = the part's ``fixed-v1`` index)."""
        check_part_number(part_number)
        self.get(bucket, upload_id)
        space = self.service.head_bucket(bucket).space
        with PendingCar(self.service.blobs) as car:
            chunked = chunk_stream(body, car.add, self.service.chunk_size, checksummers)
            if validate is not None:
                validate(chunked)
            checksums = {c.algorithm: c.b64() for c in checksummers}
            part = PartRecord(
                part_number, chunked.size, chunked.md5.hex(), chunked.root, checksums, self.service.clock()
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
        chunk index as is; anything else is re-chunked from verified source bytes."""
        for _ in range(MAX_EPOCH_RETRIES):
            epoch = self.service.registry.gc_epoch()  # before the source is read (the gc fence)
            source, _ = self.service.head_object(src_bucket, src_key)
            body = source.body
            if not (byte_range is None and body.format == FIXED_V1 and body.md5 is not None):
                break
            check_part_number(part_number)
            self.get(bucket, upload_id)
            part = PartRecord(part_number, body.size, body.md5.hex(), body.root, {}, self.service.clock())
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
    ) -> WriteResult:
        """Assemble the listed ``(part number, ETag)`` parts into the object, atomically
        consuming the upload (every part but the last at least ``min_part_size``, default
        :attr:`min_part_size`)."""

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
        with PendingCar(self.service.blobs) as car:
            parts_root = write_parts([(p.size, p.root) for p in chosen], car.add)
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
                attributes=dict(meta.get("attributes") or {}),
            )

            def change(current: ObjectManifest | None) -> ObjectManifest:
                check_conditions(upload.key, current, if_match, if_none_match)
                return manifest

            return self.service.update_object(
                bucket, upload.key, change, f"CompleteMultipartUpload {upload.key}", car, upload_id
            )
