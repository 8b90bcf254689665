"""ForgeS3Backend: moto's S3 backend with its storage replaced by the bucket service.

moto's ``S3Response`` parses requests and renders responses; for every
operation it asks ``self.backend``.  This subclass answers the storage
operations from the :class:`BucketService` (persistent, content-addressed)
and gives moto a ``FakeBucket`` per stored bucket as the holder of its
configuration, rebuilt from and written back to the bucket's configuration
document (:mod:`moto_forge.s3.holders`).

Errors: moto_forge raises its own :class:`S3Error` subclasses; the WSGI app
renders them.  Where moto's handler logic expects one of moto's exceptions
(``BucketAlreadyExists`` on create), that one is raised.
"""

from __future__ import annotations

import contextvars
import datetime
import io
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from moto.s3 import models as moto_s3_models
from moto.s3 import notifications
from moto.s3.exceptions import HeadOnDeleteMarker, MissingBucket
from moto.s3.models import FakeBucket
from moto.s3.notifications import S3NotificationEvent

from moto_forge.bucket.listing import decode_token, encode_token
from moto_forge.bucket.multipart import upload_algorithm, upload_checksum_type
from moto_forge.errors import (
    AccessDenied,
    InvalidArgument,
    InvalidObjectState,
    InvalidRequest,
    MetadataTooLarge,
    MethodNotAllowed,
    NoSuchKey,
    NoSuchObjectLockConfiguration,
    NoSuchVersion,
    S3Error,
)
from moto_forge.ipld.cid import CID
from moto_forge.objects import ObjectManifest
from moto_forge.objects.checksums import ALGORITHMS, Checksum, upload_checksum
from moto_forge.s3 import attributes, restores
from moto_forge.s3.addressing import CopySource, Target
from moto_forge.s3.context import request_headers
from moto_forge.s3.holders import BucketHolders
from moto_forge.s3.keys import ForgeDeleteMarker, ForgeKey, ForgePart, ForgeUpload
from moto_forge.s3.roots import read_root, response_root
from moto_forge.s3.tags import check_tags


@dataclass(frozen=True, slots=True)
class RequestTarget:
    """What the current request names, decided once by the WSGI app (s3/addressing.py)."""

    target: Target
    copy_source: CopySource | None = None
    version_id: str | None = None
    """The request's ``versionId`` (moto passes it to some backend methods only)."""


request_target: contextvars.ContextVar[RequestTarget | None] = contextvars.ContextVar(
    "forge_request_target", default=None
)


def current_target() -> RequestTarget:
    """The current request's :class:`RequestTarget` (set before moto or the backend run)."""
    found = request_target.get()
    if found is None:
        raise RuntimeError("no request target: moto_forge's backend runs only inside S3App")
    return found


def check_copy_source(bucket: str, key: str) -> None:
    """Refuse a copy whose source is not the one the request's header named (and the
    tenancy check allowed): moto parsed the header again, and must have read the same.
    Outside :class:`S3App` (moto's own server or another moto service driving the backend,
    where moto is the only parser and nothing is checked) there is nothing to compare."""
    found = request_target.get()
    if found is None:
        return
    source = found.copy_source
    if source is None or (source.bucket, source.key) != (bucket, key):
        raise InvalidArgument("The copy source is not the one the request named", ArgumentName="x-amz-copy-source")


MAX_METADATA_BYTES = 2048
"""S3's limit on user metadata: the UTF-8 bytes of every x-amz-meta-* name (without the
prefix) and value together."""
CONTENT_HEADERS = {
    "cache-control": "cache-control",
    "content-disposition": "content-disposition",
    "content-encoding": "content-encoding",
    "content-language": "content-language",
    "expires": "expires",
}


def split_metadata(headers: Any) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """(content type, user metadata without the ``x-amz-meta-`` prefix, stored content headers)."""
    content_type = None
    meta: dict[str, str] = {}
    stored: dict[str, str] = {}
    for name, value in dict(headers).items():
        lower = name.lower()
        if lower == "content-type":
            content_type = value
        elif lower.startswith("x-amz-meta-"):
            meta[lower[len("x-amz-meta-") :]] = value
        elif lower in CONTENT_HEADERS and value:
            if lower == "content-encoding":
                value = ",".join(v.strip() for v in value.split(",") if v.strip() != "aws-chunked")
                if not value:
                    continue
            stored[lower] = value
    size = sum(len(name.encode()) + len(value.encode()) for name, value in meta.items())
    if size > MAX_METADATA_BYTES:
        raise MetadataTooLarge(
            f"Your metadata headers exceed the maximum allowed metadata size ({size} > {MAX_METADATA_BYTES} bytes)",
            MaxSizeAllowed=str(MAX_METADATA_BYTES),
        )
    return content_type, meta, stored


def request_headers_lower() -> dict[str, str]:
    return {k.lower(): v for k, v in request_headers.get({}).items()}


def _version_param() -> str | None:
    """The ``versionId`` of the request being served (moto does not pass it to some methods)."""
    found = request_target.get()
    return found.version_id if found is not None else None


CHANGING_HEADERS = (
    "x-amz-storage-class", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-website-redirect-location", "x-amz-object-lock-mode", "x-amz-object-lock-legal-hold",
)  # fmt: skip
"""Headers that make a copy of an object onto itself legal (they change it)."""


class ForgeS3Backend(BucketHolders):
    """See the module docstring; bucket operations and configuration are :class:`BucketHolders`'."""

    # ---- reads ----------------------------------------------------------

    def _key(self, bucket_name: str, key_name: str, version_id: str | None = None) -> ForgeKey | None:
        try:
            found = self.service.find_object(bucket_name, key_name, read_root.get(), version_id)
        except (NoSuchKey, NoSuchVersion, MethodNotAllowed):
            return None
        return self._view(found.manifest, found.cid, bucket_name, found.version_id)

    def get_object(
        self,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        return_delete_marker: bool = False,
        **_: Any,
    ) -> ForgeKey | ForgeDeleteMarker | None:
        """The object's version ``version_id`` (else its current one); a delete marker only
        with ``return_delete_marker``, else ``None`` as for a missing one."""
        if self.service.find_bucket(bucket_name) is None:
            raise MissingBucket(bucket=bucket_name)
        try:
            found = self.service.find_object(bucket_name, key_name, read_root.get(), version_id)
        except NoSuchVersion:
            return None
        except (NoSuchKey, MethodNotAllowed) as exc:
            marker = exc.headers.get("x-amz-version-id") if exc.headers.get("x-amz-delete-marker") else None
            if return_delete_marker and marker is not None:
                version = self.service.version_of_key(bucket_name, key_name, marker, read_root.get())
                return ForgeDeleteMarker(key_name, marker, version.time, version_id is None)
            return None
        return self._view(found.manifest, found.cid, bucket_name, found.version_id)

    def head_object(
        self, bucket_name: str, key_name: str, version_id: str | None = None, *args: Any, **kwargs: Any
    ) -> ForgeKey | None:
        found = self.get_object(bucket_name, key_name, version_id, return_delete_marker=True)
        if isinstance(found, ForgeDeleteMarker):
            raise HeadOnDeleteMarker(found)
        return found

    def _page(
        self, bucket: FakeBucket, prefix: str | None, delimiter: str | None, start: str | None, max_keys: int | None
    ) -> tuple[list[ForgeKey], list[str], bool, str | None]:
        if max_keys is not None and max_keys < 0:
            raise InvalidArgument("max-keys must be >= 0", ArgumentName="max-keys")
        page = self.service.list_objects(
            bucket.name,
            prefix or "",
            delimiter or "",
            start or "",
            1000 if max_keys is None else max_keys,
            read_root.get(),
        )
        cids = [CID.decode(e.manifest) for _, e in page.entries]
        keys = [self._view(self.service.manifest(cid), cid, bucket.name) for cid in cids]
        return keys, page.prefixes, page.truncated, page.last

    def list_objects(
        self, bucket: FakeBucket, prefix: str | None, delimiter: str | None, marker: str | None, max_keys: int | None
    ) -> tuple[list[ForgeKey], list[str], bool, str | None]:
        keys, folders, truncated, last = self._page(bucket, prefix, delimiter, marker, max_keys)
        return keys, folders, truncated, (last if truncated and delimiter else None)

    def list_objects_v2(
        self,
        bucket: FakeBucket,
        prefix: str | None,
        delimiter: str | None,
        continuation_token: str | None,
        start_after: str | None,
        max_keys: int,
    ) -> tuple[list[ForgeKey | str], bool, str | None]:
        start = decode_token(continuation_token) if continuation_token else start_after
        keys, folders, truncated, last = self._page(bucket, prefix, delimiter, start, max_keys)
        merged: list[ForgeKey | str] = sorted(
            [*keys, *folders], key=lambda x: (x if isinstance(x, str) else x.name).encode()
        )
        return merged, truncated, (encode_token(last) if truncated and last else None)

    def list_object_versions(
        self,
        bucket_name: str,
        delimiter: str | None = None,
        key_marker: str | None = None,
        max_keys: int | None = 1000,
        prefix: str = "",
        version_id_marker: str | None = None,
    ) -> tuple[list[ForgeKey], list[str], list[ForgeDeleteMarker], str | None, str | None]:
        """Every version and delete marker (objects written while versioning was off are
        their ``null`` version), as S3 lists them."""
        if max_keys is not None and max_keys < 0:
            raise InvalidArgument("max-keys must be >= 0", ArgumentName="max-keys")
        page = self.service.list_versions(
            bucket_name, prefix or "", delimiter or "", key_marker or "", version_id_marker or "",
            1000 if max_keys is None else max_keys, read_root.get(),
        )  # fmt: skip
        keys: list[ForgeKey] = []
        markers: list[ForgeDeleteMarker] = []
        for key, version, latest in page.versions:
            if version.manifest is None:
                markers.append(ForgeDeleteMarker(key, version.vid, version.time, latest))
            else:
                manifest = self.service.manifest(version.manifest)
                keys.append(self._view(manifest, version.manifest, bucket_name, version.vid, latest))
        if not page.truncated:
            return keys, page.prefixes, markers, None, None
        return keys, page.prefixes, markers, page.next_key, page.next_version

    # ---- writes ---------------------------------------------------------

    def delete_object(
        self,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        bypass: bool = False,
        if_match: str | None = None,
    ) -> tuple[bool, dict[str, Any]]:
        """moto's delete_object; ``if_match`` (S3App's DeleteObject) is decided in the commit."""
        gone = self._key(bucket_name, key_name, version_id) if self._notifying(bucket_name) else None
        result = self.service.delete_object(bucket_name, key_name, version_id, self._locked(bypass), if_match)
        response_root.set(result.root)
        if result.refused:
            raise AccessDenied("Access Denied because object protected by object lock.", Key=key_name)
        if gone is not None:
            self._notify_key(S3NotificationEvent.OBJECT_REMOVED_DELETE_EVENT, bucket_name, gone)
        meta: dict[str, Any] = {}
        if result.version_id is not None:
            meta["version-id"] = result.version_id
        elif version_id is not None:  # a version already gone: S3 answers with the id it was asked for
            meta["version-id"] = version_id
        if result.delete_marker:
            meta["delete-marker"] = "true"
        return True, meta

    def delete_objects(
        self, bucket_name: str, objects: list[dict[str, Any]], bypass_retention: bool = False
    ) -> tuple[list[tuple[str, str | None, str | None]], list[str]]:
        wanted = [(obj["Key"], obj.get("VersionId")) for obj in objects]
        notifying = self._notifying(bucket_name) is not None
        gone = [self._key(bucket_name, name, vid) for name, vid in wanted] if notifying else []
        result = self.service.delete_objects(bucket_name, wanted, locked=self._locked(bypass_retention))
        response_root.set(result.root)
        for key in gone:
            if key is not None:
                self._notify_key(S3NotificationEvent.OBJECT_REMOVED_DELETE_EVENT, bucket_name, key)
        deleted: list[tuple[str, str | None, str | None]] = []
        refused = list(result.refused)
        done = [w for w in wanted if w[0] not in refused]
        for (name, asked), (_, version) in zip(done, result.deleted, strict=True):
            if version is not None and version.is_marker and asked is None:
                deleted.append((name, None, version.vid))  # a new delete marker
            elif version is not None and version.is_marker:
                deleted.append((name, asked, version.vid))  # a delete marker removed
            else:
                deleted.append((name, asked, None))
        return deleted, refused

    def copy_object(self, src_key: ForgeKey, dest_bucket_name: str, dest_key_name: str, **kwargs: Any) -> None:
        check_copy_source(src_key.forge_bucket, src_key.name)
        headers = request_headers_lower()
        _check_copy_conditions(src_key, headers)
        replace: dict[str, object] = {}
        directive = kwargs.get("mdirective") or "COPY"
        if directive not in ("COPY", "REPLACE"):
            raise InvalidArgument(
                f"Unknown metadata directive {directive[:40]!r}: COPY or REPLACE",
                ArgumentName="x-amz-metadata-directive",
            )
        replace["attributes"] = new_attributes = self._attributes(dest_bucket_name, headers)
        if "sse" in src_key.manifest.attributes and "sse" not in new_attributes:
            new_attributes["sse"] = "AES256"  # S3 encrypts every object; an encrypted source stays encrypted
        algorithm = headers.get("x-amz-checksum-algorithm")
        if algorithm:  # a new checksum of the copied body (streamed through, as S3 computes it)
            checksum = Checksum(algorithm)
            for piece in self.service.read_body(src_key.manifest):
                checksum.update(piece)
            replace.update({"checksums": {checksum.algorithm: checksum.b64()}, "checksum_type": "FULL_OBJECT"})
        if directive == "REPLACE":
            content_type, meta, stored = split_metadata(headers)
            replace.update({"metadata": meta, "headers": stored, "content_type": content_type or "binary/octet-stream"})
        elif (
            src_key.forge_bucket == dest_bucket_name
            and src_key.name == dest_key_name
            and not algorithm
            and not any(name in headers for name in CHANGING_HEADERS)
            and _named_source_version() is None
            and _copied_attributes(src_key.manifest.attributes) == _copied_attributes(replace["attributes"])
            and "encryption" not in self.service.bucket_config(dest_bucket_name)
        ):  # S3: a copy onto itself must change something (metadata, storage class, redirect, encryption)
            raise InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing "
                "the object's metadata, storage class, website redirect location or encryption attributes."
            )
        result = self.service.copy_object(
            src_key.forge_bucket,
            src_key.name,
            dest_bucket_name,
            dest_key_name,
            replace=replace,
            src_root=read_root.get(),
            src_version=src_key._version_id,
            if_match=headers.get("if-match"),  # conditional writes, checked in the commit as a PUT's
            if_none_match=headers.get("if-none-match"),
        )
        response_root.set(result.root)
        assert result.manifest is not None and result.manifest_cid is not None
        self.notify(
            S3NotificationEvent.OBJECT_CREATED_COPY_EVENT, dest_bucket_name, result.manifest, result.manifest_cid
        )

    def put_object(
        self,
        bucket_name: str,
        key_name: str,
        value: bytes | str,
        storage: str | None = None,
        etag: str | None = None,
        multipart: Any = None,
        encryption: str | None = None,
        kms_key_id: str | None = None,
        bucket_key_enabled: Any = None,
        lock_mode: str | None = None,
        lock_legal_status: str | None = None,
        lock_until: str | None = None,
        checksum_value: str | None = None,
        **kwargs: Any,
    ) -> ForgeKey:
        """A whole body moto hands over: from moto's own S3Response (``ThreadedMotoServer``,
        ``mock_aws`` with the backend installed) or from another moto service writing to S3
        (Firehose, Logs exports, ...).  Stored like any PutObject; S3App's clients take the
        streaming path in s3/objects.py instead."""
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)  # moto's callers send either
        result = self.service.put_object(bucket_name, key_name, io.BytesIO(data))
        response_root.set(result.root)
        assert result.manifest is not None and result.manifest_cid is not None
        self.notify(S3NotificationEvent.OBJECT_CREATED_PUT_EVENT, bucket_name, result.manifest, result.manifest_cid)
        return self._view(result.manifest, result.manifest_cid, bucket_name, result.version_id)

    # ---- notifications (moto sends them from its backend methods, which these replace) ----

    def _notifying(self, bucket_name: str) -> FakeBucket | None:
        """The bucket's holder if it has a notification configuration (else no event is built)."""
        holder = self.buckets.get(bucket_name)
        return holder if holder is not None and holder.notification_configuration is not None else None

    def _notify_key(self, event: S3NotificationEvent, bucket_name: str, key: ForgeKey) -> None:
        holder = self._notifying(bucket_name)
        if holder is not None:
            notifications.send_event(self.account_id, event, holder, key)

    def notify(self, event: S3NotificationEvent, bucket_name: str, manifest: ObjectManifest, cid: CID) -> None:
        """Send moto's bucket notification ``event`` for the object ``manifest``; nothing to do,
        at no cost, for a bucket without a notification configuration."""
        if self._notifying(bucket_name) is not None:
            self._notify_key(event, bucket_name, self._view(manifest, cid, bucket_name))

    def notify_put(self, bucket_name: str, manifest: ObjectManifest, cid: CID) -> None:
        """The events moto's PutObject sends, for S3App's streaming PutObject: ``ObjectCreated:Put``
        and, as moto's handler sets the (possibly empty) tags of every put, ``ObjectTagging:Put``."""
        self.notify(S3NotificationEvent.OBJECT_CREATED_PUT_EVENT, bucket_name, manifest, cid)
        self.notify(S3NotificationEvent.OBJECT_TAGGING_PUT_EVENT, bucket_name, manifest, cid)

    def _view(
        self, manifest: ObjectManifest, cid: CID, bucket_name: str, version_id: str | None = None, latest: bool = True
    ) -> ForgeKey:
        """A key view whose body, metadata and attributes moto code may read and set (keys.py)."""
        return ForgeKey(manifest, cid, bucket_name, reader=self._read_all, on_metadata=self._store_metadata,
                        on_attributes=self._store_attributes, version_id=version_id, is_latest=latest)  # fmt: skip

    def _attributes(self, bucket_name: str, headers: dict[str, str]) -> dict[str, str]:
        """The object attributes a write with ``headers`` (lower-case) sets in the bucket."""
        return attributes.from_headers(headers, self.service.bucket_config(bucket_name), time.time())

    def _store_attributes(self, key: ForgeKey, changes: Mapping[str, str | None]) -> None:
        """Change attributes (``x`` names; ``None`` removes one) of the key's version, in place."""
        x = {**key.manifest.attributes, **changes}
        x = {name: value for name, value in x.items() if value is not None}
        if x == key.manifest.attributes:
            return
        operation = f"SetAttributes {key.name}"
        result = self.service.edit_object(key.forge_bucket, key.name, {"attributes": x}, operation, key._version_id)
        response_root.set(result.root)
        assert result.manifest is not None and result.manifest_cid is not None
        key.manifest, key.cid = result.manifest, result.manifest_cid

    def _locked(self, bypass: bool) -> Callable[[ObjectManifest], bool]:
        """Whether Object Lock keeps a version from deletion (a legal hold, or a retention not
        yet over; ``bypass``: governance retention may go, as S3's bypass header allows)."""

        def locked(manifest: ObjectManifest) -> bool:
            return bool(ForgeKey(manifest, CID.compute(0x55, b"")).is_locked(governance_bypass=bypass))

        return locked

    def _existing(self, bucket_name: str, key_name: str, version_id: str | None = None) -> ForgeKey:
        key = self._key(bucket_name, key_name, version_id)
        if key is None:
            if version_id is not None:
                raise NoSuchVersion("The specified version does not exist.", Key=key_name, VersionId=version_id)
            raise NoSuchKey("The specified key does not exist.", Key=key_name)
        return key

    def put_object_acl(
        self, bucket_name: str, key_name: str, acl: Any, disable_notification: bool | None = False
    ) -> None:
        key = self._existing(bucket_name, key_name, _version_param())
        self._store_attributes(key, {"acl": attributes.acl_text(acl) if acl is not None else None})
        if not disable_notification:
            self._notify_key(S3NotificationEvent.OBJECT_ACL_UPDATE_EVENT, bucket_name, key)

    def put_object_legal_hold(
        self, bucket_name: str, key_name: str, version_id: str | None, legal_hold_status: Any
    ) -> None:
        key = self._existing(bucket_name, key_name, version_id)
        if not self.get_bucket(bucket_name).object_lock_enabled:
            raise InvalidRequest("Bucket is missing Object Lock Configuration")
        self._store_attributes(key, {"lh": str(legal_hold_status)})

    def put_object_retention(
        self, bucket_name: str, key_name: str, version_id: str | None, retention: tuple[str | None, str | None]
    ) -> None:
        key = self._existing(bucket_name, key_name, version_id)
        if not self.get_bucket(bucket_name).object_lock_enabled:
            raise InvalidRequest("Bucket is missing Object Lock Configuration")
        bypass = request_headers_lower().get("x-amz-bypass-governance-retention", "").lower() == "true"
        mode, until = retention
        if key.lock_until and (key.lock_mode == "COMPLIANCE" or not bypass) and (until or "") < key.lock_until:
            raise AccessDenied("Access Denied: the object's retention cannot be shortened")  # S3: only extended
        self._store_attributes(key, {"lm": mode, "lu": until})

    def get_object_retention(self, bucket_name: str, key_name: str, version_id: str | None) -> tuple[str, str]:
        """The object's Object Lock retention, as S3's GetObjectRetention answers it: its
        mode and retain-until date (as PutObjectRetention or the write's headers gave it).
        400 ``InvalidRequest`` in a bucket without Object Lock; 404
        ``NoSuchObjectLockConfiguration`` for an object without a retention."""
        key = self._existing(bucket_name, key_name, version_id)
        if not self.get_bucket(bucket_name).object_lock_enabled:
            raise InvalidRequest("Bucket is missing Object Lock Configuration")
        if not key.lock_mode or not key.lock_until:
            raise NoSuchObjectLockConfiguration("The specified object does not have a ObjectLock configuration")
        return str(key.lock_mode), str(key.lock_until)

    def restore_object(self, bucket_name: str, key_name: str, days: str | None, type_: str | None) -> bool:
        key = self._existing(bucket_name, key_name, _version_param())
        if key.storage_class not in attributes.ARCHIVED:
            raise InvalidObjectState("The operation is not valid for the object's storage class",
                                     StorageClass=str(key.storage_class))  # fmt: skip
        restored = "rs" in key.manifest.attributes
        if days:
            expiry = datetime.datetime.fromtimestamp(time.time(), datetime.UTC) + datetime.timedelta(days=int(days))
            when = expiry.strftime("%a, %d %b %Y %H:%M:%S GMT")
            self._store_attributes(key, {"rs": f'ongoing-request="false", expiry-date="{when}"'})
            self._notify_key(S3NotificationEvent.OBJECT_RESTORE_POST_EVENT, bucket_name, key)
            completed = S3NotificationEvent.OBJECT_RESTORE_COMPLETED_EVENT
            restores.begin(
                (bucket_name, key_name, key._version_id), lambda: self._notify_key(completed, bucket_name, key)
            )
        return restored

    def _read_all(self, manifest: ObjectManifest) -> bytes:
        return b"".join(self.service.read_body(manifest))

    def _store_metadata(self, key: ForgeKey, metadata: dict[str, str]) -> None:
        """Store what moto's ``set_metadata`` was given (``x-amz-meta-*``, Content-Type and the
        stored content headers), unless the object already carries exactly that."""
        content_type, meta, stored = split_metadata(metadata)
        manifest = key.manifest
        wanted = (content_type or manifest.content_type, meta, stored)
        if wanted == (manifest.content_type, manifest.metadata, manifest.headers):
            return
        replace: dict[str, object] = {"content_type": wanted[0], "metadata": meta, "headers": stored}
        result = self.service.edit_object(
            key.forge_bucket, key.name, replace, f"SetMetadata {key.name}", key._version_id
        )
        response_root.set(result.root)
        assert result.manifest is not None and result.manifest_cid is not None
        key.manifest, key.cid = result.manifest, result.manifest_cid

    def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
        """The Resource Groups Tagging API's UntagResources on a bucket: the remaining tags
        are stored as the bucket's tagging (moto would change only its in-memory tagger)."""
        bucket_name = arn.split(":")[-1]
        self.get_bucket(bucket_name)  # loads the stored tags into the tagger first
        remaining = {k: v for k, v in self.tagger.get_tag_dict_for_resource(arn).items() if k not in set(tag_keys)}
        if remaining:
            self.put_bucket_tagging(bucket_name, remaining)
        else:
            self.delete_bucket_tagging(bucket_name)

    def get_object_attributes(self, key: ForgeKey, attributes_to_get: list[str]) -> dict[str, Any]:
        """moto's answer, with the checksum as S3 shows it here: a multipart object's with its
        type (a ``COMPOSITE`` value without the ``-N`` suffix), a single PUT's without."""
        answer = super().get_object_attributes(key, attributes_to_get)
        checksum = answer.get("checksum")
        if checksum and not key.manifest.parts:
            checksum.pop("type", None)
        return answer

    def get_object_tagging(self, key: ForgeKey) -> dict[str, list[dict[str, str]]]:
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(key.tags.items())]}

    def put_object_tagging(self, key: ForgeKey, tags: dict[str, str] | None) -> ForgeKey:
        check_tags(dict(tags or {}))
        if dict(tags or {}) == key.tags and request_target.get() is None:
            # moto's own PutObject sets the (empty) tags it parsed: nothing changes
            self._notify_key(S3NotificationEvent.OBJECT_TAGGING_PUT_EVENT, key.forge_bucket, key)
            return key
        result = self.service.set_object_tags(key.forge_bucket, key.name, dict(tags or {}), key._version_id)
        response_root.set(result.root)
        assert result.manifest is not None and result.manifest_cid is not None
        view = self._view(result.manifest, result.manifest_cid, key.forge_bucket, result.version_id)
        self._notify_key(S3NotificationEvent.OBJECT_TAGGING_PUT_EVENT, key.forge_bucket, view)
        return view

    def delete_object_tagging(self, bucket_name: str, key_name: str, version_id: str | None = None) -> None:
        result = self.service.set_object_tags(bucket_name, key_name, {}, version_id)
        response_root.set(result.root)
        assert result.manifest is not None and result.manifest_cid is not None
        self.notify(S3NotificationEvent.OBJECT_TAGGING_DELETE_EVENT, bucket_name, result.manifest, result.manifest_cid)

    # ---- multipart ------------------------------------------------------

    def create_multipart_upload(
        self, bucket_name: str, key_name: str, metadata: Any, storage_type: str, tags: dict[str, str], *args: Any
    ) -> ForgeUpload:
        headers = request_headers.get({})
        check_tags(dict(tags or {}))
        content_type, meta, stored = split_metadata(headers)
        lower = {k.lower(): v for k, v in headers.items()}
        algorithm, checksum_type = upload_checksum(
            lower.get("x-amz-checksum-algorithm"), lower.get("x-amz-checksum-type")
        )
        if not headers and storage_type:  # moto's own server drives the backend: no request headers here
            lower["x-amz-storage-class"] = storage_type
        upload_meta = {
            "content_type": content_type,
            "metadata": meta,
            "headers": stored,
            "tags": dict(tags or {}),
            "checksum_algorithm": algorithm,
            "checksum_type": checksum_type,
            "attributes": self._attributes(bucket_name, lower),
        }
        upload_id = self.service.multipart.create(bucket_name, key_name, upload_meta)
        return ForgeUpload(upload_id, key_name, _upload_header_meta(upload_meta))

    def complete_multipart_upload(
        self, bucket_name: str, multipart_id: str, body: Iterator[tuple[int, str]]
    ) -> ForgeKey | None:
        headers = request_headers_lower()
        full = [v for name, v in headers.items() if name.startswith("x-amz-checksum-") and name[15:] in ALGORITHMS]
        result = self.service.multipart.complete(
            bucket_name, multipart_id, list(body), headers.get("if-match"), headers.get("if-none-match"),
            int(vars(moto_s3_models)["S3_UPLOAD_PART_MIN_SIZE"]),  # moto's setting: 5 MiB, as S3, unless lowered
            full[0] if full else None,
        )  # fmt: skip
        response_root.set(result.root)
        assert result.manifest is not None and result.manifest_cid is not None
        event = S3NotificationEvent.OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD_EVENT
        self.notify(event, bucket_name, result.manifest, result.manifest_cid)
        return self._view(result.manifest, result.manifest_cid, bucket_name, result.version_id)

    def abort_multipart_upload(self, bucket_name: str, multipart_id: str) -> None:
        self.service.multipart.abort(bucket_name, multipart_id)

    def list_parts(
        self, bucket_name: str, multipart_id: str, part_number_marker: int = 0, max_parts: int = 1000
    ) -> list[ForgePart]:
        parts = self.service.multipart.list_parts(bucket_name, multipart_id)
        chosen = [p for p in parts if p.part_number > part_number_marker][:max_parts]
        return [ForgePart(p.part_number, f'"{p.etag}"', p.size, p.created) for p in chosen]

    def is_truncated(self, bucket_name: str, multipart_id: str, next_part_number_marker: int) -> bool:
        parts = self.service.multipart.list_parts(bucket_name, multipart_id)
        return any(p.part_number > next_part_number_marker for p in parts)

    def list_multipart_uploads(self, bucket_name: str) -> dict[str, ForgeUpload]:
        uploads = self.service.multipart.list_uploads(bucket_name)
        return {u.upload_id: ForgeUpload(u.upload_id, u.key, _upload_header_meta(u.meta)) for u in uploads}

    def upload_part_copy(
        self,
        dest_bucket_name: str,
        multipart_id: str,
        part_id: int,
        src_bucket_name: str,
        src_key_name: str,
        src_version_id: str | None,
        start_byte: int,
        end_byte: int,
    ) -> ForgePart:
        check_copy_source(src_bucket_name, src_key_name)
        byte_range = None if start_byte is None or start_byte < 0 else (start_byte, end_byte + 1)
        if byte_range is not None:
            size = self.service.head_object(src_bucket_name, src_key_name)[0].body.size
            if byte_range[1] > size:
                raise InvalidArgument(
                    f"Range specified is not valid for source object of size: {size}",
                    ArgumentName="x-amz-copy-source-range",
                )
        part = self.service.multipart.upload_part_copy(
            dest_bucket_name, multipart_id, part_id, src_bucket_name, src_key_name, byte_range
        )
        return ForgePart(part.part_number, f'"{part.etag}"', part.size, part.created)


def _named_source_version() -> str | None:
    """The ``versionId`` the request's ``x-amz-copy-source`` names (``None`` without one)."""
    found = request_target.get()
    return found.copy_source.version_id if found is not None and found.copy_source is not None else None


def _copied_attributes(x: Any) -> dict[str, str]:
    """The attributes whose change makes a copy of an object onto itself legal: storage
    class (``STANDARD`` when absent), encryption, website redirect."""
    kept = {name: x[name] for name in ("sse", "kms", "wr") if name in x}
    return {**kept, "sc": x.get("sc", "STANDARD")}


def _upload_header_meta(meta: dict[str, Any]) -> dict[str, Any]:
    algorithm = upload_algorithm(meta)
    return {
        "x-amz-checksum-algorithm": algorithm.upper() if algorithm else None,
        "x-amz-checksum-type": upload_checksum_type(meta),
    }


def _check_copy_conditions(src: ForgeKey, headers: dict[str, str]) -> None:
    """x-amz-copy-source-if-* conditions (If-None-Match is moto's, the rest are checked here)."""
    from email.utils import parsedate_to_datetime

    from moto_forge.bucket.conditions import etag_matches
    from moto_forge.errors import PreconditionFailed

    def failed(which: str) -> S3Error:
        return PreconditionFailed(
            "At least one of the pre-conditions you specified did not hold", Condition=f"x-amz-copy-source-{which}"
        )

    if_match = headers.get("x-amz-copy-source-if-match")
    if if_match is not None and not etag_matches(if_match, src.manifest.etag):
        raise failed("If-Match")
    for name, newer in (("if-unmodified-since", False), ("if-modified-since", True)):
        value = headers.get(f"x-amz-copy-source-{name}")
        if value is None or (if_match is not None and name == "if-unmodified-since"):
            continue
        try:
            when = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            continue
        if (src.manifest.created > when) != newer:
            raise failed(name)
