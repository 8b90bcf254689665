"""S3's bucket naming rules (general purpose buckets)."""

from __future__ import annotations

import re

from moto_forge.errors import InvalidBucketName

_SHAPE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str) -> str:
    """Return ``name`` if S3 allows it; raise :class:`InvalidBucketName` saying why not."""
    if not _SHAPE.match(name):
        raise InvalidBucketName(
            f"bucket name {name!r} must be 3-63 characters of a-z, 0-9, '.', '-', starting and ending "
            "with a letter or digit",
            BucketName=name,
        )
    if ".." in name or _IP.match(name):
        raise InvalidBucketName(f"bucket name {name!r} has adjacent dots or looks like an IP address", BucketName=name)
    if name.startswith(_PREFIXES) or name.endswith(_SUFFIXES):
        raise InvalidBucketName(f"bucket name {name!r} uses a reserved prefix or suffix", BucketName=name)
    return name
