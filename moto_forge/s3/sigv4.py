"""AWS Signature Version 4 verification: Authorization headers, presigned URLs
(with expiry) and aws-chunked chunk and trailer signatures; SigV2 presigned URLs
(boto3's default for ``generate_presigned_url``) through :mod:`moto_forge.s3.sigv2`.

Only SigV4 is accepted when the server has credentials; requests signed with
an unknown access key, a wrong secret, a tampered header or query, a stale
date or an expired presigned URL get the 403 errors S3 returns.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from werkzeug.wrappers import Request

from moto_forge.errors import (
    AccessDenied,
    AuthorizationHeaderMalformed,
    InvalidAccessKeyId,
    InvalidArgument,
    S3Error,
    SignatureDoesNotMatch,
)
from moto_forge.s3 import addressing, sigv2
from moto_forge.s3.roots import ROOT_HEADER, ROOT_QUERY

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
"""S3 refuses header-signed requests whose x-amz-date is further than this from now."""
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class RequestTimeTooSkewed(S3Error):
    code = "RequestTimeTooSkewed"
    status = 403


def _hmac(key: bytes, text: str) -> bytes:
    """HMAC-SHA256 of ``text``'s UTF-8 bytes (OpenSSL's one-shot, no HMAC object)."""
    return hmac.digest(key, text.encode("utf-8"), "sha256")


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """SigV4's derived key (remembered: a client signs all day with the same one)."""
    key = _hmac(("AWS4" + secret).encode("utf-8"), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


@functools.lru_cache(maxsize=1024)
def amz_timestamp(amz_date: str) -> float | None:
    """Seconds since the epoch of ``YYYYMMDDTHHMMSSZ`` (UTC), or ``None`` if it is not a
    valid date in that form (remembered: requests share their seconds)."""
    if len(amz_date) != 16 or amz_date[8] != "T" or amz_date[15] != "Z":
        return None
    digits = amz_date[:8] + amz_date[9:15]
    if not (digits.isascii() and digits.isdigit()):
        return None
    try:
        parsed = datetime.datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:8]),
                                   int(digits[8:10]), int(digits[10:12]), int(digits[12:14]),
                                   tzinfo=datetime.UTC)  # fmt: skip
    except ValueError:
        return None
    return parsed.timestamp()


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def canonical_query(raw_query: str, drop: str | None = None) -> str:
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        if not part:
            continue
        name, _, value = part.partition("=")
        name, value = urllib.parse.unquote_plus(name), urllib.parse.unquote_plus(value)
        if name == drop:
            continue
        pairs.append((_quote(name), _quote(value)))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def raw_path_and_query(request: Request) -> tuple[str, str]:
    """The raw path and query the signature covers: :func:`addressing.raw_path_and_query`."""
    return addressing.raw_path_and_query(request.environ)


@dataclass(frozen=True, slots=True)
class Credential:
    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def require_signed(request: Request, signed: list[str]) -> None:
    """Refuse (403 ``AccessDenied``, as S3) a SigV4 request whose ``host`` is not signed or
    that carries an ``x-amz-*`` (or ``x-forge-root``) header its signature does not cover:
    nothing unsigned may change what a request does."""
    names = {name.strip().lower() for name in signed}
    if "host" not in names:
        raise AccessDenied("The host header must be signed", HeadersNotSigned="host")
    unsigned = sorted(
        {
            lower
            for lower in (name.lower() for name, _ in request.headers.items())
            if (lower.startswith("x-amz-") or lower == ROOT_HEADER) and lower not in names
        }
    )
    if unsigned:
        raise AccessDenied(
            "There were headers present in the request which were not signed", HeadersNotSigned=", ".join(unsigned)
        )


def parse_credential(text: str) -> Credential:
    parts = text.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AccessDenied(f"Malformed credential scope {text!r}")
    return Credential(*parts[:4])


ChunkVerifier = Callable[[bytes, str | None], None]


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Who signed a request (its access key) and, for signed streaming bodies, the chunk verifier."""

    access_key: str
    verify_chunk: ChunkVerifier | None = None


class SigV4Authenticator:
    """Verifies requests against ``credentials`` (access key -> secret key)."""

    def __init__(self, credentials: dict[str, str], region: str = "us-east-1", clock: Callable[[], float] = time.time):
        self.credentials = dict(credentials)
        self.region = region
        self.clock = clock

    def _secret(self, access_key: str) -> str:
        secret = self.credentials.get(access_key)
        if secret is None:
            raise InvalidAccessKeyId(
                "The AWS Access Key Id you provided does not exist in our records.", AWSAccessKeyId=access_key
            )
        return secret

    def authenticate(self, request: Request, virtual_bucket: str | None = None) -> Authenticated:
        """Raise an S3 403 error unless ``request`` is validly signed.

        Returns the signer's access key, and a chunk verifier for
        ``STREAMING-AWS4-HMAC-SHA256-*`` bodies.  ``virtual_bucket`` is the
        bucket a virtual-host request named in its Host (SigV2 signs it).
        """
        header = request.headers.get("Authorization")
        if header is not None:
            return self._header(request, header)
        if "X-Amz-Signature" in request.args:
            return self._presigned(request)
        if sigv2.is_presigned_v2(request):
            return self._presigned_v2(request, virtual_bucket)
        raise AccessDenied("Access Denied: the request is not signed")

    # ---- Authorization header -------------------------------------------------

    def _header(self, request: Request, header: str) -> Authenticated:
        if not header.startswith(ALGORITHM + " "):
            raise AccessDenied("Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is supported")
        fields = {}
        for item in header[len(ALGORITHM) + 1 :].split(","):
            name, _, value = item.strip().partition("=")
            fields[name] = value
        try:
            credential = parse_credential(fields["Credential"])
            signed_headers = fields["SignedHeaders"].split(";")
            signature = fields["Signature"]
        except KeyError as exc:
            raise AccessDenied(f"Authorization header lacks {exc.args[0]}") from exc
        secret = self._secret(credential.access_key)
        self._check_scope(credential)
        require_signed(request, signed_headers)
        amz_date = request.headers.get("x-amz-date") or ""
        when = self._parse_date(amz_date)
        if abs(self.clock() - when) > MAX_SKEW_SECONDS:
            raise RequestTimeTooSkewed(
                "The difference between the request time and the current time is too large.", RequestTime=amz_date
            )
        payload = request.headers.get("x-amz-content-sha256")
        if payload is None:
            raise InvalidArgument("x-amz-content-sha256 must be sent with SigV4", ArgumentName="x-amz-content-sha256")
        path, query = raw_path_and_query(request)
        canonical = self._canonical_request(request, path, canonical_query(query), signed_headers, payload)
        key = signing_key(secret, credential.date, credential.region, credential.service)
        expected = self._signature(key, amz_date, credential, canonical)
        if not hmac.compare_digest(expected, signature):
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you provided.",
                AWSAccessKeyId=credential.access_key,
            )
        if payload.startswith("STREAMING-AWS4-HMAC-SHA256"):
            return Authenticated(credential.access_key, ChunkSignatures(key, amz_date, credential.scope, signature))
        return Authenticated(credential.access_key)

    # ---- presigned URLs -------------------------------------------------------

    def _presigned(self, request: Request) -> Authenticated:
        args = request.args
        if args.get("X-Amz-Algorithm") != ALGORITHM:
            raise AccessDenied("Only AWS4-HMAC-SHA256 presigned URLs are supported")
        credential = parse_credential(args.get("X-Amz-Credential", ""))
        secret = self._secret(credential.access_key)
        amz_date = args.get("X-Amz-Date", "")
        when = self._parse_date(amz_date)
        try:
            expires = int(args.get("X-Amz-Expires", ""))
        except ValueError as exc:
            raise AccessDenied("X-Amz-Expires must be a number of seconds") from exc
        if not 1 <= expires <= MAX_PRESIGN_SECONDS:
            raise AccessDenied(f"X-Amz-Expires must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
        now = self.clock()
        if now > when + expires:
            raise AccessDenied("Request has expired", X_Amz_Expires=str(expires))
        if when > now + MAX_SKEW_SECONDS:
            raise AccessDenied("Request is not valid yet")
        signed_headers = args.get("X-Amz-SignedHeaders", "host").split(";")
        self._check_scope(credential)
        require_signed(request, signed_headers)
        path, query = raw_path_and_query(request)
        canonical = self._canonical_request(
            request, path, canonical_query(query, drop="X-Amz-Signature"), signed_headers, "UNSIGNED-PAYLOAD"
        )
        key = signing_key(secret, credential.date, credential.region, credential.service)
        expected = self._signature(key, amz_date, credential, canonical)
        if not hmac.compare_digest(expected, args.get("X-Amz-Signature", "")):
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you provided.",
                AWSAccessKeyId=credential.access_key,
            )
        return Authenticated(credential.access_key)

    def _presigned_v2(self, request: Request, virtual_bucket: str | None) -> Authenticated:
        access_key = request.args["AWSAccessKeyId"]
        secret = self._secret(access_key)
        unsigned = [name for name in (ROOT_QUERY,) if name in request.args]
        unsigned += [name for name in (ROOT_HEADER,) if name in request.headers]
        if unsigned:  # SigV2 signs neither: only a signed value may select a root
            raise AccessDenied(
                "There were headers present in the request which were not signed", HeadersNotSigned=", ".join(unsigned)
            )
        sigv2.check_expiry(request.args.get("Expires", ""), self.clock())
        path, query = raw_path_and_query(request)
        expected = sigv2.signature(secret, sigv2.string_to_sign(request, path, query, virtual_bucket))
        if not hmac.compare_digest(expected, request.args["Signature"]):
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you provided.",
                AWSAccessKeyId=access_key,
            )
        return Authenticated(access_key)

    # ---- POST form uploads ------------------------------------------------------

    def authenticate_form(self, fields: Mapping[str, str]) -> Authenticated:
        """Check the signature of a browser upload's form (``fields``, lower-case names):
        SigV4 (``x-amz-signature`` over the ``policy`` field with the credential's signing
        key) or SigV2 (``signature``: base64 HMAC-SHA1 of the policy).  The policy's
        conditions and expiry are :mod:`moto_forge.s3.post_policy`'s."""
        policy = fields.get("policy")
        if not policy:
            raise AccessDenied("Bucket POST must contain a field named 'policy' when it is signed")
        if "x-amz-signature" in fields:
            if fields.get("x-amz-algorithm") != ALGORITHM:
                raise AccessDenied(f"Only {ALGORITHM} is supported for POST uploads")
            credential = parse_credential(fields.get("x-amz-credential", ""))
            self._check_scope(credential)
            key = signing_key(self._secret(credential.access_key), credential.date, credential.region, "s3")
            expected = _hmac(key, policy).hex()
            given, access_key = fields["x-amz-signature"], credential.access_key
        elif "signature" in fields and "awsaccesskeyid" in fields:
            access_key = fields["awsaccesskeyid"]
            expected, given = sigv2.signature(self._secret(access_key), policy), fields["signature"]
        else:
            raise AccessDenied("Bucket POST must be signed (x-amz-signature, or AWSAccessKeyId and signature)")
        if not hmac.compare_digest(expected, given):
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you provided.",
                AWSAccessKeyId=access_key,
            )
        return Authenticated(access_key)

    # ---- shared ---------------------------------------------------------------

    def _check_scope(self, credential: Credential) -> None:
        if credential.region != self.region or credential.service != "s3":
            raise AuthorizationHeaderMalformed(
                f"The authorization header is malformed; the region '{credential.region}' / service "
                f"'{credential.service}' is wrong; expecting '{self.region}' / 's3'",
                Region=self.region,
            )

    @staticmethod
    def _parse_date(amz_date: str) -> float:
        when = amz_timestamp(amz_date)
        if when is None:
            raise AccessDenied(f"x-amz-date {amz_date!r} is not in ISO 8601 basic format")
        return when

    @staticmethod
    def _canonical_request(request: Request, path: str, query: str, signed: list[str], payload: str) -> str:
        sent: dict[str, list[str]] = {name.lower(): [] for name in signed}
        for name, value in request.headers.items():  # one pass, in order (what getlist gives)
            found = sent.get(name.lower())
            if found is not None:
                found.append(value)
        lines = []
        for name in signed:
            values = sent[name.lower()]
            if not values and name != "host":
                raise AccessDenied(f"Signed header {name} is missing")
            value = ",".join(" ".join(v.split()) for v in values) if values else request.host
            lines.append(f"{name}:{value}\n")
        return "\n".join([request.method, path, query, "".join(lines), ";".join(signed), payload])

    @staticmethod
    def _signature(key: bytes, amz_date: str, credential: Credential, canonical: str) -> str:
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        to_sign = "\n".join([ALGORITHM, amz_date, credential.scope, digest])
        return _hmac(key, to_sign).hex()

    def check_payload(self, request: Request, body: bytes) -> None:
        """For buffered bodies: the hex x-amz-content-sha256 must match the bytes."""
        claimed = request.headers.get("x-amz-content-sha256", "")
        if len(claimed) == 64 and hashlib.sha256(body).hexdigest() != claimed.lower():
            from moto_forge.errors import XAmzContentSHA256Mismatch

            raise XAmzContentSHA256Mismatch("The provided 'x-amz-content-sha256' header does not match the body.")


class ChunkSignatures:
    """Verifies each aws-chunked chunk's signature, chained from the seed signature."""

    def __init__(self, key: bytes, amz_date: str, scope: str, seed: str) -> None:
        self._key = key
        self._prefix = f"{ALGORITHM}-PAYLOAD\n{amz_date}\n{scope}\n"
        self._previous = seed

    def __call__(self, data: bytes, signature: str | None) -> None:
        if signature is None:
            raise SignatureDoesNotMatch("An aws-chunked chunk has no chunk-signature")
        to_sign = self._prefix + "\n".join([self._previous, EMPTY_SHA256, hashlib.sha256(data).hexdigest()])
        expected = _hmac(self._key, to_sign).hex()
        if not hmac.compare_digest(expected, signature):
            raise SignatureDoesNotMatch("An aws-chunked chunk signature does not match")
        self._previous = signature
