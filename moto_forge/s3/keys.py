"""Views of stored objects with the attributes moto's S3 responses read from its
``FakeKey`` (name, quoted ETag, size, dates, storage class, ...).

moto's handlers render these; every change goes through the bucket service.  Two
hooks serve moto code that treats a key as a buffer (moto's own S3Response under
``ThreadedMotoServer``, and other moto services reading S3): ``value`` reads the body
through the ``reader`` the backend gave, and ``set_metadata`` stores the new metadata
through ``on_metadata``.  A key made without them refuses both.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.models import FakeAcl, FakeDeleteMarker, FakeKey, get_canned_acl

from moto_forge.http_dates import http_date, iso_date
from moto_forge.ipld.cid import CID
from moto_forge.objects import ObjectManifest
from moto_forge.s3.attributes import acl_of, acl_text, response_headers


class OwnerOnlyAcl(FakeAcl):
    """An object's ACL as GetObjectAcl shows it (the owner-only default when none was set).
    False as a truth value, so moto's own anonymous-access check skips it: access is decided
    once, by S3App (signatures and tenancy when credentials are configured; without them,
    unsigned requests as moto decides them, in :mod:`moto_forge.s3.anonymous`)."""

    def __bool__(self) -> bool:
        return False


class ForgeKey(FakeKey):
    """An object as moto's renderers expect a key to look.

    A ``FakeKey`` subclass only so moto's ``isinstance`` checks pass: its
    constructor (which buffers a value) is never run, and every property
    moto reads is answered from the manifest.
    """

    def __init__(
        self,
        manifest: ObjectManifest,
        cid: CID,
        bucket_name: str = "",
        *,
        reader: Callable[[ObjectManifest], bytes] | None = None,
        on_metadata: Callable[[ForgeKey, dict[str, str]], None] | None = None,
        on_attributes: Callable[[ForgeKey, Mapping[str, str | None]], None] | None = None,
        version_id: str | None = None,
        is_latest: bool = True,
    ) -> None:
        self.manifest = manifest
        self.reader = reader
        self.on_metadata = on_metadata
        self.on_attributes = on_attributes
        """Stores changed attributes (``x`` names) as a new manifest of this version."""
        self.cid = cid
        self.forge_bucket = bucket_name
        self.bucket_name = bucket_name
        self.account_id = DEFAULT_ACCOUNT_ID
        self.region_name = "us-east-1"
        self.partition = "aws"
        x = manifest.attributes
        grants = acl_of(x["acl"]).grants if "acl" in x else get_canned_acl("private").grants
        self.acl = OwnerOnlyAcl(grants)
        """The stored object ACL (the owner-only default when none was set)."""
        self.multipart = None
        self.website_redirect_location = x.get("wr")
        self.encryption = x.get("sse")
        self.kms_key_id = x.get("kms")
        self.bucket_key_enabled = True if x.get("bk") == "true" else None
        self.lock_mode = x.get("lm")
        self.lock_legal_status = x.get("lh")
        self.lock_until = x.get("lu")
        self.checksum_parts = None
        self.disposed = True
        self._storage_class = x.get("sc", "STANDARD")
        self._expiry = None
        self._etag = manifest.etag
        self._version_id = version_id
        """``None`` in a bucket never versioned (moto shows ``null``)."""
        self._is_versioned = version_id is not None
        self._status = None
        self.is_latest = is_latest

    def dispose(self, garbage: bool = False) -> None:
        """Nothing to free: there is no buffered value."""

    def __del__(self) -> None:
        pass

    @property
    def name(self) -> str:
        return self.manifest.key

    @name.setter
    def name(self, value: str) -> None:
        raise AttributeError("ForgeKey is read-only")

    @property
    def value(self) -> bytes:
        """The whole body (moto code that buffers; S3App streams instead)."""
        if self.reader is None:
            raise AttributeError("object bodies are streamed, never buffered (use BucketService.read_body)")
        return self.reader(self.manifest)

    def set_metadata(self, metadata: Any, replace: bool = False) -> None:
        """moto's PutObject / POST upload setting what it parsed from the headers: stored."""
        if self.on_metadata is None:
            raise AttributeError("ForgeKey is read-only")
        self.on_metadata(self, {str(k).lower(): str(v) for k, v in dict(metadata).items()})

    @property
    def etag(self) -> str:
        return f'"{self.manifest.etag}"'

    @property
    def size(self) -> int:
        return self.manifest.body.size

    @property
    def last_modified(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.manifest.created, datetime.UTC).replace(tzinfo=None)

    @last_modified.setter
    def last_modified(self, value: datetime.datetime) -> None:
        raise AttributeError("ForgeKey is read-only")

    @property
    def last_modified_ISO8601(self) -> str:
        return iso_date(self.manifest.created)

    @property
    def last_modified_RFC1123(self) -> str:
        return http_date(self.manifest.created)

    @property
    def checksum_algorithm(self) -> str | None:
        algos = sorted(self.manifest.checksums)
        return algos[0].upper() if algos else None

    @checksum_algorithm.setter
    def checksum_algorithm(self, value: str | None) -> None:
        pass

    @property
    def checksum_value(self) -> str | None:
        algos = sorted(self.manifest.checksums)
        return self.manifest.checksums[algos[0]] if algos else None

    @checksum_value.setter
    def checksum_value(self, value: str | None) -> None:
        pass

    @property
    def checksum_type(self) -> str | None:
        return self.manifest.checksum_type

    @checksum_type.setter
    def checksum_type(self, value: str | None) -> None:
        pass

    @property
    def metadata(self) -> dict[str, str]:  # type: ignore[override]
        """What moto sends back as headers of a GET / HEAD: Content-Type, the stored content
        headers and the user metadata."""
        found = {"Content-Type": self.manifest.content_type, **self.manifest.headers}
        found.update({f"x-amz-meta-{k}": v for k, v in self.manifest.metadata.items()})
        return found

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.manifest.tags)

    @property
    def response_dict(self) -> dict[str, Any]:
        found = {"ETag": self.etag, "last-modified": self.last_modified_RFC1123, "content-length": str(self.size)}
        found.update(response_headers(self.manifest.attributes))
        if self._version_id is not None:
            found["x-amz-version-id"] = self._version_id
        return found

    def set_acl(self, acl: Any) -> None:
        """moto setting an ACL it parsed (copy, its own PutObject): stored, unless it is the
        one the object already shows."""
        if acl is None or self.on_attributes is None:
            return
        text = acl_text(acl)
        if text != self.manifest.attributes.get("acl") and not (
            "acl" not in self.manifest.attributes and text == acl_text(get_canned_acl("private"))
        ):
            self.on_attributes(self, {"acl": text})


class ForgeDeleteMarker(FakeDeleteMarker):
    """A delete marker as moto's renderers read one (name, version id, date, latest)."""

    def __init__(self, name: str, version_id: str, created: int, is_latest: bool = True) -> None:
        self.name = name
        self._version_id = version_id
        self.created = created
        self.last_modified = datetime.datetime.fromtimestamp(created, datetime.UTC).replace(tzinfo=None)
        self.is_latest = is_latest

    @property
    def last_modified_ISO8601(self) -> str:
        return iso_date(self.created)

    @property
    def last_modified_RFC1123(self) -> str:
        return http_date(self.created)


@dataclass
class ForgePart:
    """An uploaded part as moto's ListParts renderer reads it (``name`` = part number)."""

    name: int
    etag: str
    size: int
    created: float

    @property
    def last_modified_ISO8601(self) -> str:
        return iso_date(int(self.created))

    @property
    def response_dict(self) -> dict[str, Any]:
        return {"ETag": self.etag}


@dataclass
class ForgeUpload:
    """A multipart upload as moto's renderers read it."""

    id: str
    key_name: str
    metadata: dict[str, Any] = field(default_factory=dict)
