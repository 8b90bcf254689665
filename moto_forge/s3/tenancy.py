"""Who owns what: access keys map to spaces, buckets belong to spaces.

Contract (enforced by :class:`S3App` for every authenticated request):
- The requester's *owner* is the space its access key is bound to: a
  tenant's space DID, or ``None`` for the server's own space (the
  ``--access-key`` of ``serve``, and every bucket made before tenants).
- A request naming a bucket owned by another space gets 403 AccessDenied;
  CreateBucket of a name another space owns gets 409 BucketAlreadyExists
  (bucket names are unique across the server, as they are across AWS).
- ``x-amz-copy-source`` must name a bucket of the requester's own space too.
- ListBuckets shows the requester's buckets only.
- Without authentication (``--no-auth`` / no credentials) nothing is checked,
  as in moto: :data:`UNCHECKED` sees every bucket and creates in the server's space.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass

from moto_forge.errors import AccessDenied, S3Error
from moto_forge.registry import BucketRecord


class BucketAlreadyExists(S3Error):
    code = "BucketAlreadyExists"
    status = 409


@dataclass(frozen=True, slots=True)
class Principal:
    """The requester: ``space`` it acts in (``None``: the server's own), and whether to check."""

    space: str | None
    checked: bool = True

    def may_use(self, owner: str | None) -> bool:
        return not self.checked or owner == self.space


UNCHECKED = Principal(None, checked=False)
principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("forge_principal", default=UNCHECKED)
"""The current request's requester (set by the WSGI app after authentication)."""


class Tenancy:
    """Access key -> the space it acts in (``None``: the server's own space)."""

    def __init__(self, spaces: dict[str, str | None]) -> None:
        self.spaces = dict(spaces)

    def principal(self, access_key: str) -> Principal:
        """The requester behind an authenticated access key; a key the tenants file dropped
        since its signature was checked (moto_forge/tenant_keys.py) is refused."""
        spaces = self.spaces  # one mapping, even if it is replaced meanwhile
        if access_key not in spaces:
            raise AccessDenied("Access Denied: the access key was removed")
        return Principal(spaces[access_key])


def check_access(
    find_bucket: Callable[[str], BucketRecord | None], who: Principal, bucket: str, creating: bool, source: str | None
) -> BucketRecord | None:
    """Raise unless ``who`` may make this request of ``bucket`` and, for a copy, read the
    ``source`` bucket (as :func:`moto_forge.s3.addressing.parse_copy_source` named it; see the
    module contract).  A bucket that does not exist is left to the operation (NoSuchBucket, or created).
    Returns ``bucket``'s record as the decision read it (``None``: none was read, or there is
    no such bucket), for a read to act on that very bucket."""
    if not who.checked:
        return None
    record = find_bucket(bucket)
    if record is not None and not who.may_use(record.space):
        if creating:
            raise BucketAlreadyExists(
                "The requested bucket name is not available. The bucket namespace is shared by all users "
                "of the system. Please select a different name and try again.",
                BucketName=bucket,
            )
        raise AccessDenied("Access Denied", BucketName=bucket)
    if source is not None and source != bucket:
        source_record = find_bucket(source)
        if source_record is not None and not who.may_use(source_record.space):
            raise AccessDenied("Access Denied", BucketName=source)
    return record
