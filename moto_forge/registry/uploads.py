"""The ``upload`` and ``upload_part`` tables: multipart uploads in progress."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from moto_forge.ipld.cid import CID
from moto_forge.registry.blobs import BlobTables
from moto_forge.registry.records import (
    COMPLETED_UPLOAD_SECONDS,
    BlobRecord,
    CompletedUploadRecord,
    PartRecord,
    SharedBlocks,
    UploadRecord,
)


class UploadTables(BlobTables):
    """Multipart uploads and their parts (a part records its blobs in the same transaction)."""

    def create_upload(self, upload_id: str, bucket: str, key: str, meta: dict[str, Any]) -> None:
        m = self.models
        with self._errors("create upload"), self._write():
            m.Upload.create(upload_id=upload_id, bucket=bucket, key=key, created=time.time(), meta=json.dumps(meta))

    def get_upload(self, upload_id: str) -> UploadRecord | None:
        m = self.models
        with self._errors("read upload"):
            row = m.Upload.get_or_none(m.Upload.upload_id == upload_id)
        return _upload(row) if row else None

    def list_uploads(self, bucket: str) -> list[UploadRecord]:
        m = self.models
        with self._errors("list uploads"):
            rows = m.Upload.select().where(m.Upload.bucket == bucket).order_by(m.Upload.key, m.Upload.created)
            return [_upload(r) for r in rows]

    def put_part(
        self,
        upload_id: str,
        part: PartRecord,
        blobs: Iterable[BlobRecord],
        shared: SharedBlocks | None = None,
        placed: int | None = None,
    ) -> bool:
        """Record (or replace) a part and its blobs; ``False`` if the upload is gone.
        ``shared``: the part's blocks outside ``blobs`` (a copied body), as the gc fence checks
        them; ``placed``: the gc epoch read before the blobs' files were placed."""
        m = self.models
        with self._errors("record part"), self._write():
            self._fenced([shared], placed)
            upload = m.Upload.get_or_none(m.Upload.upload_id == upload_id)
            if upload is None:
                return False
            owner = m.Bucket.get_or_none(m.Bucket.name == upload.bucket)
            self._record_blobs(
                [(blob, None) for blob in blobs], time.time(), space=owner.space if owner is not None else None
            )
            m.UploadPart.delete().where(
                (m.UploadPart.upload_id == upload_id) & (m.UploadPart.part_number == part.part_number)
            ).execute()
            m.UploadPart.insert(
                upload_id=upload_id,
                part_number=part.part_number,
                size=part.size,
                etag=part.etag,
                root=str(part.root),
                checksums=json.dumps(part.checksums),
                created=part.created,
            ).execute()
        return True

    def list_parts(self, upload_id: str) -> list[PartRecord]:
        m = self.models
        with self._errors("list parts"):
            rows = m.UploadPart.select().where(m.UploadPart.upload_id == upload_id).order_by(m.UploadPart.part_number)
            return [
                PartRecord(r.part_number, r.size, r.etag, CID.decode(r.root), json.loads(r.checksums), r.created)
                for r in rows
            ]

    def delete_upload(self, upload_id: str) -> bool:
        m = self.models
        with self._errors("abort upload"), self._write():
            m.UploadPart.delete().where(m.UploadPart.upload_id == upload_id).execute()
            return bool(m.Upload.delete().where(m.Upload.upload_id == upload_id).execute())

    def record_completed(self, done: CompletedUploadRecord) -> None:
        """Remember a completed upload (and forget those older than :data:`COMPLETED_UPLOAD_SECONDS`)."""
        m = self.models
        with self._errors("record completed upload"), self._write():
            m.CompletedUpload.delete().where(
                m.CompletedUpload.completed < done.completed - COMPLETED_UPLOAD_SECONDS
            ).execute()
            m.CompletedUpload.delete().where(m.CompletedUpload.upload_id == done.upload_id).execute()
            m.CompletedUpload.insert(
                upload_id=done.upload_id, bucket=done.bucket, key=done.key, parts=done.parts,
                manifest=str(done.manifest), version_id=done.version_id, completed=done.completed,
            ).execute()  # fmt: skip

    def get_completed(self, upload_id: str) -> CompletedUploadRecord | None:
        """The completion of ``upload_id`` within :data:`COMPLETED_UPLOAD_SECONDS`, if any."""
        m = self.models
        with self._errors("read completed upload"):
            row = m.CompletedUpload.get_or_none(m.CompletedUpload.upload_id == upload_id)
        if row is None or row.completed < time.time() - COMPLETED_UPLOAD_SECONDS:
            return None
        return CompletedUploadRecord(
            row.upload_id, row.bucket, row.key, row.parts, CID.decode(row.manifest), row.version_id, row.completed
        )

    def part_roots(self) -> list[CID]:
        """Roots of every part of every upload in progress (garbage collection keeps them)."""
        m = self.models
        with self._errors("list part roots"):
            return [CID.decode(r.root) for r in m.UploadPart.select(m.UploadPart.root)]


def _upload(row: Any) -> UploadRecord:
    return UploadRecord(row.upload_id, row.bucket, row.key, row.created, json.loads(row.meta))
