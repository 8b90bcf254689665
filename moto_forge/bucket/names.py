"""S3's bucket naming rules (general purpose buckets), and the legacy ones as an opt-in.

AWS's current rules: 3-63 characters of ``a-z 0-9 . -``, starting and ending with a
letter or digit, no ``..``, not an IP address, no reserved prefix or suffix
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).

Legacy rules (``legacy=True``; ``MOTO_FORGE_LEGACY_BUCKET_NAMES=1``): AWS's rules for
buckets made in us-east-1 before March 2018, which may also hold upper-case letters and
``_`` and which S3 still serves, path style only (the other rules hold for both).  moto accepts such names, so test
suites written against moto use them (``my_bucket``); the length stays 3-63, as moto's.
"""

from __future__ import annotations

import re

from moto_forge.errors import InvalidBucketName

_SHAPE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_LEGACY_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,62}$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str, *, legacy: bool = False) -> str:
    """Return ``name`` if S3 allows it (under the legacy rules too, if ``legacy``); raise
    :class:`InvalidBucketName` saying why not."""
    if not (_LEGACY_SHAPE if legacy else _SHAPE).match(name):
        allowed = "A-Z, a-z, 0-9, '.', '-', '_'" if legacy else "a-z, 0-9, '.', '-'"
        raise InvalidBucketName(
            f"bucket name {name!r} must be 3-63 characters of {allowed}, starting and ending with a letter or digit",
            BucketName=name,
        )
    if ".." in name or _IP.match(name):
        raise InvalidBucketName(f"bucket name {name!r} has adjacent dots or looks like an IP address", BucketName=name)
    if name.startswith(_PREFIXES) or name.endswith(_SUFFIXES):
        raise InvalidBucketName(f"bucket name {name!r} uses a reserved prefix or suffix", BucketName=name)
    return name
