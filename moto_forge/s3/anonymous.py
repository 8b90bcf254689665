"""Requests on objects that moto refuses before its handlers, when the server checks no
signatures (moto's mode), decided as moto decides them.

Without credentials every *signed* request is served (any key, any secret).  A request
with no signature at all (no ``Authorization`` header, no presigned ``Signature``: a
browser or ``curl`` fetching an object URL) is an anonymous one, and moto refuses it on
an object when the bucket's policy denies the action, or when the object carries an
explicit ACL that does not grant public read.  A moto user's tests of public and private
objects rely on that, so :class:`~moto_forge.s3.app.S3App` applies the same rule, once,
before the request is served (moto's own copy of the check never fires: see
:class:`~moto_forge.s3.keys.OwnerOnlyAcl`).

A bucket policy's Deny of ``s3:<Method>Object`` refuses signed requests as well
(:func:`policy_denied`): moto checks it for every request on an object.
"""

from __future__ import annotations

from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from moto_forge.s3.keys import ForgeKey


def is_anonymous(authorization: str | None, raw_query: str) -> bool:
    """No ``Authorization`` header and no query signature (moto's test: ``Signature=``)."""
    return authorization is None and "Signature=" not in raw_query


def _permission(bucket: FakeBucket, bucket_name: str, key_name: str, method: str) -> PermissionResult:
    """What ``bucket``'s policy says of ``s3:<Method>Object`` on ``key_name`` (moto's action name)."""
    action = f"s3:{method.upper()[0]}{method.lower()[1:]}Object"
    resource = f"arn:{bucket.partition}:s3:::{bucket_name}/{key_name}"
    try:
        permission: PermissionResult = bucket.get_permission(action, resource)
    except (ValueError, KeyError, TypeError, AttributeError):  # a policy stored before policies were checked
        return PermissionResult.NEUTRAL
    return permission


def policy_denied(bucket: FakeBucket, bucket_name: str, key_name: str, method: str) -> bool:
    """Whether ``bucket``'s policy denies ``s3:<Method>Object`` on ``key_name``: moto refuses
    such a request on an object (403 without a body), signed or not."""
    return bool(_permission(bucket, bucket_name, key_name, method) == PermissionResult.DENIED)


def denied(bucket: FakeBucket, bucket_name: str, key_name: str, key: ForgeKey | None, method: str) -> bool:
    """Whether moto refuses an anonymous ``method`` on object ``key_name`` (stored as
    ``key``, ``None`` if there is none) of ``bucket``: the bucket policy denies
    ``s3:<Method>Object``, or the object has an explicit ACL (``acl`` in its attributes)
    without public read."""
    permission = _permission(bucket, bucket_name, key_name, method)
    if permission == PermissionResult.DENIED:
        return True
    if key is None or permission == PermissionResult.PERMITTED:
        return False
    return "acl" in key.manifest.attributes and not (key.acl is not None and key.acl.public_read)
