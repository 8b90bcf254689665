"""The rules a write is checked against before it commits (pure): S3 key rules and
conditional writes (If-Match / If-None-Match), and what a listing shows of an object."""

from __future__ import annotations

from moto_forge.errors import InvalidKeyError, KeyTooLong, NoSuchKey, PreconditionFailed
from moto_forge.ipld.cid import CID
from moto_forge.mst import key_bytes
from moto_forge.objects import ObjectManifest
from moto_forge.registry import ListingEntry


def check_key(key: str) -> bytes:
    """S3 key rules: 1..1024 bytes of UTF-8 (``KeyTooLongError`` past that)."""
    try:
        return key_bytes(key)
    except InvalidKeyError as exc:
        if len(key.encode("utf-8", "surrogatepass")) > 1024:
            raise KeyTooLong("Your key is too long", Key=key[:64]) from exc
        raise


def listing_entry(cid: CID, manifest: ObjectManifest) -> ListingEntry:
    """What ListObjects shows of the object ``manifest`` (stored as ``cid``)."""
    checksum = sorted(manifest.checksums)[0].upper() if manifest.checksums else None
    storage = manifest.attributes.get("sc")
    return ListingEntry(manifest.key, str(cid), manifest.body.size, manifest.etag, manifest.created, checksum, storage)


def etag_matches(condition: str, etag: str) -> bool:
    """``If-Match`` / ``If-None-Match`` semantics: ``*`` or any listed (quoted or bare) ETag."""
    wanted = [c.strip().removeprefix("W/").strip('"') for c in condition.split(",")]
    return "*" in wanted or etag in wanted


def check_conditions(key: str, current: ObjectManifest | None, if_match: str | None, if_none_match: str | None) -> None:
    """Conditional-write rules: ``If-None-Match`` fails on an existing key, ``If-Match`` on a
    missing key (``NoSuchKey``) or a different ETag (``PreconditionFailed``)."""
    if if_none_match is not None and current is not None and etag_matches(if_none_match, current.etag):
        raise PreconditionFailed(
            "At least one of the pre-conditions you specified did not hold", Condition="If-None-Match", Key=key
        )
    if if_match is not None:
        if current is None:
            raise NoSuchKey("The specified key does not exist.", Key=key)
        if not etag_matches(if_match, current.etag):
            raise PreconditionFailed(
                "At least one of the pre-conditions you specified did not hold", Condition="If-Match", Key=key
            )
