"""AWS Signature Version 2 presigned URLs (``?AWSAccessKeyId=..&Expires=..&Signature=..``):
what boto3's ``generate_presigned_url`` makes by default for S3.

Contract: the string to sign is ``METHOD\\nContent-MD5\\nContent-Type\\nExpires\\n``
+ the ``x-amz-*`` values (lower-cased names, sorted, ``name:value\\n``) + the
canonical resource: the request path with the bucket in front when it was
addressed virtual-host style, plus the S3 sub-resources of the query (sorted,
values decoded).  Content-MD5 and Content-Type are the request's headers (a signed
``content-type`` parameter must be sent as that header: s3/presigned.py); ``x-amz-*``
values come from the query when the signer moved them there (S3 reads those as
headers: s3/presigned.py makes them the request's), else from the headers.  The signature is
base64(HMAC-SHA1(secret, string to sign)).  A URL past ``Expires`` is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from werkzeug.wrappers import Request

from moto_forge.errors import AccessDenied
from moto_forge.s3.addressing import query_pairs

SUBRESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "cors",
        "defaultObjectAcl",
        "delete",
        "lifecycle",
        "location",
        "logging",
        "notification",
        "partNumber",
        "policy",
        "requestPayment",
        "restore",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "storageClass",
        "replication",
        "analytics",
        "metrics",
        "inventory",
        "select",
        "select-type",
        "object-lock",
    }
)


def is_presigned_v2(request: Request) -> bool:
    return "Signature" in request.args and "AWSAccessKeyId" in request.args


def string_to_sign(request: Request, raw_path: str, raw_query: str, virtual_bucket: str | None) -> str:
    """The SigV2 string to sign of a presigned request (pure; see the module contract)."""
    query = dict(query_pairs(raw_query))  # names repeated nowhere: query_pairs refuses that

    def value(name: str) -> str:  # a header, never a parameter: the value the request acts with
        return request.headers.get(name, "").strip()

    amz = {k.lower(): (v or "").strip() for k, v in query.items() if k.lower().startswith("x-amz-")}
    for name, _value in request.headers.items():
        if name.lower().startswith("x-amz-") and name.lower() not in amz:
            amz[name.lower()] = ",".join(v.strip() for v in request.headers.getlist(name))
    resource = (f"/{virtual_bucket}" if virtual_bucket else "") + raw_path
    subresources = sorted((k, v) for k, v in query.items() if k in SUBRESOURCES)
    if subresources:
        resource += "?" + "&".join(k if v is None else f"{k}={v}" for k, v in subresources)
    lines = [request.method, value("content-md5"), value("content-type"), query.get("Expires") or ""]
    return "\n".join(lines) + "\n" + "".join(f"{k}:{amz[k]}\n" for k in sorted(amz)) + resource


def signature(secret: str, text: str) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()).decode()


def check_expiry(expires_text: str, now: float) -> None:
    try:
        expires = int(expires_text)
    except ValueError as exc:
        raise AccessDenied("Expires must be a number of seconds since the epoch") from exc
    if now > expires:
        raise AccessDenied("Request has expired", Expires=expires_text)
