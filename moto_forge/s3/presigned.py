"""The headers a presigned URL's request acts with.

A signer that presigns a URL moves the request's ``x-amz-*`` headers (user metadata,
tagging, storage class, ...) into the query, where the signature covers them, and S3
reads them from there as headers.  Content headers it names (``content-type``,
``content-md5``, ...) stay headers the client must send with exactly the signed value:
SigV2 signs the header, not the parameter.  So the request's effective headers are
computed once here, before anything is decided, and everything later (the signature
check, the tenancy check, moto, the streaming path) reads the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from werkzeug.datastructures import Headers

from moto_forge.errors import SignatureDoesNotMatch

AUTH_PARAMETERS = frozenset(
    {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders", "x-amz-signature"}
)
"""SigV4 query-authentication parameters: they describe the signature, they are not headers."""
CONTENT_PARAMETERS = frozenset(
    {"content-type", "content-md5", "content-disposition", "content-encoding", "content-language", "cache-control"}
)
"""Headers a presigned URL may name in its query, which the request must still send as headers."""
MISMATCH = "The request signature we calculated does not match the signature you provided."


def is_presigned(args: Mapping[str, str]) -> bool:
    """SigV2 (``Signature`` + ``AWSAccessKeyId``) or SigV4 (``X-Amz-Signature``) query auth."""
    return ("Signature" in args and "AWSAccessKeyId" in args) or "X-Amz-Signature" in args


def effective_headers(headers: Headers, pairs: Sequence[tuple[str, str | None]]) -> Headers:
    """``headers`` plus the ``x-amz-*`` query parameters of a presigned request (``pairs``,
    decoded, as :func:`moto_forge.s3.addressing.query_pairs` gives them).

    Raises :class:`SignatureDoesNotMatch` (403) when a parameter and a header name the
    same ``x-amz-*`` value differently, or a content parameter was signed and the request
    does not send that header with that value (as S3 and moto answer)."""
    out = Headers(headers)
    for name, value in pairs:
        lower = name.lower()
        if lower in CONTENT_PARAMETERS:
            if headers.get(lower) != (value or ""):
                raise SignatureDoesNotMatch(MISMATCH, Parameter=lower)
        elif lower.startswith("x-amz-") and lower not in AUTH_PARAMETERS:
            sent = headers.get(lower)
            if sent is None:
                out.add(lower, value or "")
            elif sent != (value or ""):
                raise SignatureDoesNotMatch(MISMATCH, Parameter=lower)
    return out
