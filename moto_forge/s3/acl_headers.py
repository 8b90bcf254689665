"""The ACL headers of a request, checked before anything acts on them: ``x-amz-acl`` must
name a canned ACL, and each ``x-amz-grant-<permission>`` must name a permission and list
grantees as ``type=value`` (``id=...``, ``uri=...``, ``emailAddress=...``; values optionally
quoted), separated by commas.  moto's own parser trusts these headers (an unknown canned ACL is an
``AssertionError``, a grantee without ``=`` an ``AttributeError``); S3 answers 400
``InvalidArgument``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from moto_forge.errors import InvalidArgument

CANNED_ACLS = frozenset({
    "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
    "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
})  # fmt: skip
"""The canned ACLs S3 (and moto's ``get_canned_acl``) knows."""
GRANT_PERMISSIONS = frozenset({"read", "write", "read-acp", "write-acp", "full-control"})
GRANT_PREFIX = "x-amz-grant-"
_GRANTEE = re.compile(r'[^=]+="?[^"]+')
"""A grantee as moto reads one (``type=value``, the value optionally quoted): moto takes
``id`` for a canonical user and any other type for a group URI (``uri=``; its own tests
send ``url=``)."""


def check_acl_headers(headers: Iterable[tuple[str, str]]) -> None:
    """Raise :class:`InvalidArgument` for the first ACL header in ``headers`` (name, value
    pairs, names in any case) that S3 would refuse; return for none or only valid ones."""
    for name, value in headers:
        lower = name.lower()
        if lower == "x-amz-acl":
            if value not in CANNED_ACLS:
                raise InvalidArgument("Unknown canned ACL", ArgumentName="x-amz-acl", ArgumentValue=value[:200])
        elif lower.startswith(GRANT_PREFIX):
            if lower[len(GRANT_PREFIX) :] not in GRANT_PERMISSIONS:
                raise InvalidArgument("Unknown grant permission", ArgumentName=name[:100])
            if not all(_GRANTEE.match(grantee.strip()) for grantee in value.split(",")):
                raise InvalidArgument(
                    "A grantee must be type=value (id=, uri=, emailAddress=)",
                    ArgumentName=name[:100],
                    ArgumentValue=value[:200],
                )
