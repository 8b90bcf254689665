"""ListObjects (V1 and V2), answered here rather than through moto's serializer.

moto renders a listing through its botocore-model serializer, which costs
about three quarters of a 1 000-key page; this module writes the same
``ListBucketResult`` XML directly.  Paging rules live in
:mod:`moto_forge.bucket.listing`.
"""

from __future__ import annotations

import urllib.parse
from xml.sax.saxutils import escape

from moto.settings import get_s3_default_max_keys
from werkzeug.wrappers import Request

from moto_forge.bucket.listing import decode_token, encode_token
from moto_forge.bucket.service import BucketService
from moto_forge.errors import InvalidArgument
from moto_forge.http_dates import iso_date
from moto_forge.ipld.cid import CID
from moto_forge.s3.objects import Response
from moto_forge.s3.roots import response_root

LISTING_PARAMS = frozenset(
    {
        "list-type", "prefix", "delimiter", "max-keys", "start-after", "continuation-token", "encoding-type",
        "fetch-owner", "marker", "forge-root", "x-id", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
        "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
    }
)  # fmt: skip
"""Query parameters a ListObjects request may carry; anything else goes to moto."""

OWNER = (
    "<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
    "<DisplayName>webfile</DisplayName></Owner>"
)
MAX_KEYS = 1000


def _max_keys(text: str | None) -> int:
    """The page size: ``max-keys`` capped at S3's 1000, or moto's ``MOTO_S3_DEFAULT_MAX_KEYS``
    setting (default 1000) when the request names none."""
    if text is None:
        return min(get_s3_default_max_keys(), MAX_KEYS)
    try:
        value = int(text)
    except ValueError as exc:
        raise InvalidArgument(
            "Provided max-keys not an integer or within integer range", ArgumentName="max-keys"
        ) from exc
    if value < 0:
        raise InvalidArgument("max-keys must be zero or more", ArgumentName="max-keys")
    return min(value, MAX_KEYS)


def list_objects(service: BucketService, request: Request, bucket: str, root: CID | None) -> Response:
    args = request.args
    v2 = args.get("list-type") == "2"
    prefix = args.get("prefix", "")
    delimiter = args.get("delimiter", "")
    encoding = args.get("encoding-type")
    if encoding not in (None, "url"):
        raise InvalidArgument("Invalid Encoding Method specified in Request", ArgumentName="encoding-type")
    max_keys = _max_keys(args.get("max-keys"))
    token = args.get("continuation-token")
    if v2:
        if token == "":
            raise InvalidArgument("The continuation token provided is incorrect", ArgumentName="continuation-token")
        start = decode_token(token) if token else args.get("start-after", "")
    else:
        start = args.get("marker", "")
    page = service.list_objects(bucket, prefix, delimiter, start, max_keys, root)

    def text(value: str) -> str:
        return escape(urllib.parse.quote(value, safe="/") if encoding == "url" else value)

    owner = OWNER if (not v2 or args.get("fetch-owner") == "true") else ""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">']
    out.append(f"<Name>{escape(bucket)}</Name>")
    if v2 or "prefix" in args:  # ListObjects (v1) leaves it out when not asked for, as moto
        out.append(f"<Prefix>{text(prefix)}</Prefix>")
    if not v2:
        out.append(f"<Marker>{text(start)}</Marker>")
    out.append(f"<MaxKeys>{max_keys}</MaxKeys>")
    if delimiter:
        out.append(f"<Delimiter>{text(delimiter)}</Delimiter>")
    if encoding:
        out.append("<EncodingType>url</EncodingType>")
    if v2:
        out.append(f"<KeyCount>{len(page.entries) + len(page.prefixes)}</KeyCount>")
    out.append(f"<IsTruncated>{'true' if page.truncated else 'false'}</IsTruncated>")
    if v2:
        if token:
            out.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        if page.truncated and page.last is not None:
            out.append(f"<NextContinuationToken>{encode_token(page.last)}</NextContinuationToken>")
        if args.get("start-after") and not token:
            out.append(f"<StartAfter>{text(args['start-after'])}</StartAfter>")
    elif page.truncated and page.last is not None:  # S3 sends it only with a delimiter; moto always
        out.append(f"<NextMarker>{text(page.last)}</NextMarker>")
    for key, entry in page.entries:
        checksum = f"<ChecksumAlgorithm>{entry.checksum}</ChecksumAlgorithm>" if v2 and entry.checksum else ""
        out.append(
            f"<Contents><Key>{text(key)}</Key><LastModified>{iso_date(entry.created)}</LastModified>"
            f"<ETag>&quot;{entry.etag}&quot;</ETag><Size>{entry.size}</Size>{checksum}"
            f"<StorageClass>{entry.storage or 'STANDARD'}</StorageClass>{owner}</Contents>"
        )
    for common in page.prefixes:
        out.append(f"<CommonPrefixes><Prefix>{text(common)}</Prefix></CommonPrefixes>")
    out.append("</ListBucketResult>")
    body = "".join(out).encode("utf-8")
    response_root.set(page.root)
    return Response(200, {"Content-Type": "application/xml"}, [body])
