"""ObjectManifest: the DAG-CBOR record an MST value points at.

Field names follow ms3t where ms3t has them (``k``, ``ct``, ``t``, ``b`` with
``s``, ``h``, ``c``, ``f``); the rest are moto_forge's, for what S3 needs.
Every field is always written (empty maps and nulls included), so one
object has exactly one encoding.  ``docs/architecture.md`` lists the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moto_forge.errors import DagCborError, ManifestError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.objects.body import CONCAT_V1, FIXED_V1

CONTENT_HEADERS = frozenset({"cache-control", "content-disposition", "content-encoding", "content-language", "expires"})
"""Stored response headers besides Content-Type (which is ``ct``)."""

CHECKSUM_ALGORITHMS = frozenset({"crc32", "crc32c", "crc64nvme", "sha1", "sha256"})
CHECKSUM_TYPES = frozenset({"FULL_OBJECT", "COMPOSITE"})
ATTRIBUTES = frozenset({"sc", "rs", "sse", "kms", "bk", "wr", "lm", "lu", "lh", "acl"})
"""The S3 object attributes ``x`` may hold: storage class, restore status, server-side encryption algorithm,
its KMS key id, bucket key enabled, website redirect location, Object Lock mode, retain-until
date and legal hold, and the object ACL (see docs/architecture.md)."""
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Body:
    """``b``: where the bytes are.

    ``s`` size; ``h`` SHA-256 of the whole body (``null`` for multipart bodies,
    whose whole hash is never computed); ``m`` MD5 of the whole body (``null``
    for multipart); ``c`` the body root; ``f`` its format (``fixed-v1`` or
    ``concat-v1``).
    """

    size: int
    sha256: bytes | None
    md5: bytes | None
    root: CID
    format: str = FIXED_V1

    def to_ipld(self) -> dict[str, Any]:
        return {"s": self.size, "h": self.sha256, "m": self.md5, "c": self.root, "f": self.format}


@dataclass(frozen=True, slots=True)
class ObjectManifest:
    """One object version: its key, S3 metadata and body."""

    key: str
    body: Body
    etag: str
    created: int
    content_type: str = DEFAULT_CONTENT_TYPE
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    checksum_type: str | None = None
    parts: int = 0
    attributes: dict[str, str] = field(default_factory=dict)
    """``x``: S3 object attributes (:data:`ATTRIBUTES`); written only when not empty."""

    def to_ipld(self) -> dict[str, Any]:
        fields = {
            "k": self.key,
            "ct": self.content_type,
            "t": self.created,
            "b": self.body.to_ipld(),
            "e": self.etag,
            "md": dict(self.metadata),
            "hd": dict(self.headers),
            "tg": dict(self.tags),
            "ck": dict(self.checksums),
            "ckt": self.checksum_type,
            "np": self.parts,
        }
        if self.attributes:
            fields["x"] = dict(self.attributes)
        return fields

    def encode(self) -> tuple[CID, bytes]:
        """The manifest block and its CID."""
        data = dagcbor.encode(self.to_ipld())
        return CID.compute(DAG_CBOR, data), data

    @classmethod
    def decode(cls, data: bytes, cid: CID | None = None) -> ObjectManifest:
        """Parse and check a manifest block; :class:`ManifestError` names what is wrong."""
        try:
            return cls._decode(data)
        except ManifestError as exc:
            raise ManifestError(f"manifest {cid}: {exc}" if cid else f"manifest: {exc}") from exc

    @classmethod
    def _decode(cls, data: bytes) -> ObjectManifest:
        """:meth:`decode` without the block's name in the message (the hot path of every
        cold read: a CID's string is not made unless something is wrong)."""
        try:
            raw = dagcbor.decode(data)
        except DagCborError as exc:
            raise ManifestError(str(exc)) from exc
        expected = {"k", "ct", "t", "b", "e", "md", "hd", "tg", "ck", "ckt", "np"}
        if not isinstance(raw, dict) or set(raw) - {"x"} != expected:
            got = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
            raise ManifestError(f"fields {got}, expected {sorted(expected)} (and x if not empty)")
        if "x" in raw and not raw["x"]:
            raise ManifestError("x is written only when not empty")
        b = raw["b"]
        if not isinstance(b, dict) or set(b) != {"s", "h", "m", "c", "f"}:
            raise ManifestError("b is not {s, h, m, c, f}")
        body = Body(b["s"], b["h"], b["m"], b["c"], b["f"])
        manifest = cls(
            key=raw["k"],
            body=body,
            etag=raw["e"],
            created=raw["t"],
            content_type=raw["ct"],
            metadata=raw["md"],
            headers=raw["hd"],
            tags=raw["tg"],
            checksums=raw["ck"],
            checksum_type=raw["ckt"],
            parts=raw["np"],
            attributes=raw.get("x", {}),
        )
        manifest.validate("")
        return manifest

    def validate(self, where: str = "manifest") -> None:
        """Raise :class:`ManifestError` unless every field has its schema's type and range
        (``where`` begins the message, if any)."""
        b = self.body
        checks = [
            (isinstance(self.key, str) and 0 < len(self.key.encode()) <= 1024, "k"),
            (isinstance(self.content_type, str), "ct"),
            (type(self.created) is int and self.created >= 0, "t"),
            (isinstance(self.etag, str) and bool(self.etag), "e"),
            (type(b.size) is int and b.size >= 0, "b.s"),
            (b.sha256 is None or (isinstance(b.sha256, bytes) and len(b.sha256) == 32), "b.h"),
            (b.md5 is None or (isinstance(b.md5, bytes) and len(b.md5) == 16), "b.m"),
            (isinstance(b.root, CID), "b.c"),
            (b.format in (FIXED_V1, CONCAT_V1), "b.f"),
            (_str_map(self.metadata), "md"),
            (_str_map(self.headers) and set(self.headers) <= CONTENT_HEADERS, "hd"),
            (_str_map(self.tags), "tg"),
            (_str_map(self.checksums) and set(self.checksums) <= CHECKSUM_ALGORITHMS, "ck"),
            (self.checksum_type is None or self.checksum_type in CHECKSUM_TYPES, "ckt"),
            (type(self.parts) is int and 0 <= self.parts <= 10_000, "np"),
            (_str_map(self.attributes) and set(self.attributes) <= ATTRIBUTES, "x"),
        ]
        bad = [name for ok, name in checks if not ok]
        if bad:
            what = f"invalid field(s) {', '.join(bad)}"
            raise ManifestError(f"{where}: {what}" if where else what)


def _str_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
