"""S3's tag rules (pure): what a tag set may hold, for objects and for buckets."""

from __future__ import annotations

from collections.abc import Mapping

from moto_forge.errors import BadRequest, InvalidTag

OBJECT_TAGS = 10
"""S3's limit on an object's tags."""
BUCKET_TAGS = 50
"""S3's limit on a bucket's tags."""
MAX_KEY = 128
MAX_VALUE = 256


def check_tags(tags: Mapping[str, str], limit: int = OBJECT_TAGS) -> None:
    """Raise the error S3 answers unless ``tags`` is a tag set S3 accepts: at most ``limit``
    tags, keys of 1 to 128 characters not starting with ``aws:``, values of at most 256
    (empty values are allowed)."""
    if len(tags) > limit:
        what = "Object tags" if limit == OBJECT_TAGS else "Bucket tag count"
        raise BadRequest(f"{what} cannot be greater than {limit}")
    for key, value in tags.items():
        value = value or ""  # moto parses an empty <Value/> as None
        if key.lower().startswith("aws:"):
            raise InvalidTag("Your TagKey cannot be prefixed with aws:", TagKey=key[:MAX_KEY])
        if not 1 <= len(key) <= MAX_KEY:
            raise InvalidTag("The TagKey you have provided is invalid", TagKey=key[:MAX_KEY])
        if len(value) > MAX_VALUE:
            raise InvalidTag("The TagValue you have provided is invalid", TagKey=key)


def pairs_to_tags(pairs: list[tuple[str, str]], limit: int = OBJECT_TAGS) -> dict[str, str]:
    """A tag set from ``(key, value)`` pairs, checked (a key given twice is ``InvalidTag``)."""
    tags: dict[str, str] = {}
    for key, value in pairs:
        if key in tags:
            raise InvalidTag("Cannot provide multiple Tags with the same key", TagKey=key[:MAX_KEY])
        tags[key] = value
    check_tags(tags, limit)
    return tags
