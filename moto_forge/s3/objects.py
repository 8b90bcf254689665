"""The streaming data path: PutObject, UploadPart, GetObject and HeadObject.

moto reads whole bodies into memory; these four operations carry the bytes,
so they are served here, streaming in both directions, with the same
headers and errors S3 (and moto) give.  Everything else goes through moto.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request

from moto_forge.bucket.conditions import etag_matches
from moto_forge.bucket.service import BucketService, WriteResult
from moto_forge.errors import (
    BadDigest,
    IncompleteBody,
    InvalidArgument,
    InvalidDigest,
    InvalidObjectState,
    InvalidPartNumber,
    InvalidRange,
    InvalidRequest,
    MissingContentLength,
    PreconditionFailed,
    XAmzContentSHA256Mismatch,
)
from moto_forge.http_dates import http_date
from moto_forge.ipld.cid import CID
from moto_forge.objects import ChunkedBody, ObjectManifest
from moto_forge.objects.checksums import ALGORITHMS, Checksum, valid_b64
from moto_forge.registry import BucketRecord
from moto_forge.s3 import attributes, restores
from moto_forge.s3.backend import split_metadata
from moto_forge.s3.chunked import AwsChunkedReader, ChunkVerifier
from moto_forge.s3.roots import response_root
from moto_forge.s3.tags import pairs_to_tags

STREAMING_PAYLOADS = {
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
}
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
STORED_HEADER_NAMES = {
    "cache-control": "Cache-Control",
    "content-disposition": "Content-Disposition",
    "content-encoding": "Content-Encoding",
    "content-language": "Content-Language",
    "expires": "Expires",
}


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Iterable[bytes] = ()


# ---- uploads --------------------------------------------------------------


@dataclass
class UploadChecks:
    """What an upload's headers ask us to verify, and the hashers that do it."""

    content_md5: bytes | None = None
    content_sha256: str | None = None
    checksum: Checksum | None = None
    expected_checksum: str | None = None
    trailer_name: str | None = None

    @property
    def hashers(self) -> list[Checksum]:
        return [self.checksum] if self.checksum is not None else []


def upload_checks(request: Request) -> UploadChecks:
    """Read Content-MD5, x-amz-content-sha256 and the additional checksum headers."""
    h = request.headers
    checks = UploadChecks()
    md5 = h.get("Content-MD5")
    if md5 is not None:
        try:
            checks.content_md5 = base64.b64decode(md5, validate=True)
        except (binascii.Error, ValueError):
            checks.content_md5 = b""
        if len(checks.content_md5) != 16:
            raise InvalidDigest("The Content-MD5 you specified was invalid.")
    payload = h.get("x-amz-content-sha256", "")
    if len(payload) == 64:
        checks.content_sha256 = payload.lower()
    algorithm = None
    for algo in ALGORITHMS:
        value = h.get(f"x-amz-checksum-{algo}")
        if value is not None:
            if algorithm is not None:
                raise InvalidRequest(
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
                )
            algorithm, checks.expected_checksum = algo, value
    trailer = h.get("x-amz-trailer", "").strip().lower()
    if trailer:
        if not trailer.startswith("x-amz-checksum-") or trailer[len("x-amz-checksum-") :] not in ALGORITHMS:
            raise InvalidArgument(f"Unsupported trailer {trailer}", ArgumentName="x-amz-trailer")
        algorithm, checks.trailer_name = trailer[len("x-amz-checksum-") :], trailer
    sdk = h.get("x-amz-sdk-checksum-algorithm") or h.get("x-amz-checksum-algorithm")
    if algorithm is None and sdk:
        algorithm = sdk.lower()
    if algorithm is not None:
        checks.checksum = Checksum(algorithm)
        if checks.expected_checksum is not None and not valid_b64(checks.expected_checksum, algorithm):
            raise InvalidArgument(f"Value for x-amz-checksum-{algorithm} header is invalid.", ArgumentName=algorithm)
    return checks


def body_reader(request: Request, verify_chunk: ChunkVerifier | None) -> Any:
    """The request body as a stream, aws-chunked framing removed."""
    h = request.headers
    payload = h.get("x-amz-content-sha256", "")
    encodings = [e.strip() for e in h.get("Content-Encoding", "").split(",")]
    stream = request.stream
    if payload in STREAMING_PAYLOADS or "aws-chunked" in encodings:
        decoded = h.get("x-amz-decoded-content-length")
        try:
            length = int(decoded) if decoded is not None else None
        except ValueError as exc:
            raise InvalidArgument("x-amz-decoded-content-length is not a number") from exc
        if length is None and payload.startswith("STREAMING-AWS4"):
            raise MissingContentLength("You must provide the Content-Length HTTP header.")
        return AwsChunkedReader(stream, length, verify_chunk if payload.startswith("STREAMING-AWS4") else None)
    if request.content_length is None and "chunked" not in h.get("Transfer-Encoding", ""):
        raise MissingContentLength("You must provide the Content-Length HTTP header.")
    return stream


def validator(checks: UploadChecks, reader: Any, declared_length: int | None) -> Any:
    """The ``validate`` hook for the bucket service: refuse the body before anything is stored."""

    def validate(body: ChunkedBody) -> None:
        if declared_length is not None and body.size != declared_length:
            raise IncompleteBody("You did not provide the number of bytes specified by the Content-Length")
        if checks.content_md5 is not None and body.md5 != checks.content_md5:
            raise BadDigest("The Content-MD5 you specified did not match what we received.")
        if checks.content_sha256 is not None and body.sha256.hex() != checks.content_sha256:
            raise XAmzContentSHA256Mismatch("The provided 'x-amz-content-sha256' header does not match the body.")
        if checks.checksum is not None:
            expected = checks.expected_checksum
            if checks.trailer_name is not None:
                expected = getattr(reader, "trailers", {}).get(checks.trailer_name)
                if expected is None:
                    raise InvalidArgument(f"The trailer {checks.trailer_name} was declared but not sent")
            if expected is not None and expected != checks.checksum.b64():
                name = checks.checksum.algorithm.upper()
                raise BadDigest(f"The {name} you specified did not match the calculated checksum.")

    return validate


def _declared_length(request: Request, reader: Any) -> int | None:
    return None if isinstance(reader, AwsChunkedReader) else request.content_length


def _checksum_headers(checks: UploadChecks) -> dict[str, str]:
    if checks.checksum is None:
        return {}
    return {f"x-amz-checksum-{checks.checksum.algorithm}": checks.checksum.b64()}


def parse_tagging(value: str | None) -> dict[str, str]:
    """The tags of an ``x-amz-tagging`` header, checked as S3 does (s3/tags.py)."""
    if not value:
        return {}
    return pairs_to_tags(urllib.parse.parse_qsl(value, keep_blank_values=True))


def put_object(
    service: BucketService, request: Request, bucket: str, key: str, verify_chunk: ChunkVerifier | None
) -> tuple[Response, WriteResult]:
    checks = upload_checks(request)
    reader = body_reader(request, verify_chunk)
    content_type, meta, stored = split_metadata(request.headers)
    result = service.put_object(
        bucket,
        key,
        reader,
        content_type=content_type or "binary/octet-stream",
        metadata=meta,
        headers=stored,
        tags=parse_tagging(request.headers.get("x-amz-tagging")),
        checksummers=checks.hashers,
        validate=validator(checks, reader, _declared_length(request, reader)),
        if_match=request.headers.get("If-Match"),
        if_none_match=request.headers.get("If-None-Match"),
        attributes=lambda config: attributes.from_headers(request.headers, config, time.time()),
    )
    assert result.manifest is not None
    headers = {"ETag": f'"{result.manifest.etag}"', **_checksum_headers(checks)}
    headers.update(attributes.write_headers(result.manifest.attributes))
    if result.version_id is not None:
        headers["x-amz-version-id"] = result.version_id
    return Response(200, headers), result


def upload_part(
    service: BucketService,
    request: Request,
    bucket: str,
    upload_id: str,
    part_number_text: str,
    verify_chunk: ChunkVerifier | None,
) -> Response:
    try:
        part_number = int(part_number_text)
    except ValueError as exc:
        raise InvalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                              ArgumentName="partNumber") from exc  # fmt: skip
    checks = upload_checks(request)
    reader = body_reader(request, verify_chunk)
    upload = service.multipart.get(bucket, upload_id)  # read once: the part's checksum and the response headers
    part = service.multipart.upload_part(
        bucket,
        upload_id,
        part_number,
        reader,
        checksummers=checks.hashers,
        validate=validator(checks, reader, _declared_length(request, reader)),
        upload=upload,
    )
    headers = {"ETag": f'"{part.etag}"', **_checksum_headers(checks)}
    if not checks.hashers and part.checksums:  # the upload's own algorithm, computed here
        headers.update({f"x-amz-checksum-{algo}": value for algo, value in part.checksums.items()})
    headers.update(attributes.write_headers(upload.meta.get("attributes") or {}))
    return Response(200, headers)


# ---- downloads ------------------------------------------------------------


def _parse_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def check_read_conditions(request: Request, manifest: ObjectManifest) -> Response | None:
    """RFC 7232 as S3 applies it: 412 for If-Match / If-Unmodified-Since, 304 for the others."""
    h = request.headers
    etag = manifest.etag
    if_match = h.get("If-Match")
    if if_match is not None and not etag_matches(if_match, etag):
        raise PreconditionFailed("At least one of the pre-conditions you specified did not hold", Condition="If-Match")
    unmodified = _parse_date(h.get("If-Unmodified-Since"))
    if if_match is None and unmodified is not None and manifest.created > unmodified:
        raise PreconditionFailed(
            "At least one of the pre-conditions you specified did not hold", Condition="If-Unmodified-Since"
        )
    if_none_match = h.get("If-None-Match")
    not_modified = {"ETag": f'"{etag}"', "Last-Modified": http_date(manifest.created)}
    if if_none_match is not None and etag_matches(if_none_match, etag):
        return Response(304, not_modified)
    modified = _parse_date(h.get("If-Modified-Since"))
    if if_none_match is None and modified is not None and manifest.created <= modified:
        return Response(304, not_modified)
    return None


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end exclusive)`` for a single ``bytes=`` range; ``None`` = whole object.

    Raises :class:`InvalidRange` when the range cannot be satisfied.
    """
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    spec = header[len("bytes=") :].strip()
    first, sep, last = spec.partition("-")
    if not sep:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                raise InvalidRange(
                    "The requested range is not satisfiable", RangeRequested=header, ActualObjectSize=str(size)
                )
            return max(size - suffix, 0), size
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        return None
    if start >= size or (last and int(last) < start):
        if last and int(last) < start:
            return None
        raise InvalidRange("The requested range is not satisfiable", RangeRequested=header, ActualObjectSize=str(size))
    return start, min(end, size)


def object_headers(manifest: ObjectManifest, request: Request) -> dict[str, str]:
    headers = {
        "Content-Type": manifest.content_type,
        "ETag": f'"{manifest.etag}"',
        "Last-Modified": http_date(manifest.created),
        "Accept-Ranges": "bytes",
    }
    for name, value in manifest.headers.items():
        headers[STORED_HEADER_NAMES[name]] = value
    for name, value in manifest.metadata.items():
        headers[f"x-amz-meta-{name}"] = value
    if manifest.tags:
        headers["x-amz-tagging-count"] = str(len(manifest.tags))
    if manifest.parts and "partNumber" in request.args:  # S3 sends it only then
        headers["x-amz-mp-parts-count"] = str(manifest.parts)
    if manifest.attributes:
        headers.update(attributes.response_headers(manifest.attributes))
    for param, header in RESPONSE_OVERRIDES.items():
        override = request.args.get(param)
        if override is not None:
            if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in override):
                raise InvalidArgument(f"{param} must not contain control characters", ArgumentName=param)
            headers[header] = override
    return headers


def _part_range(service: BucketService, manifest: ObjectManifest, text: str) -> tuple[int, int, int]:
    """``(part number, start, end exclusive)`` of the part a ``partNumber`` request names."""
    try:
        number = int(text)
    except ValueError as exc:
        raise InvalidArgument("Part number must be an integer", ArgumentName="partNumber") from exc
    sizes = service.part_sizes(manifest)
    if not 1 <= number <= len(sizes):
        raise InvalidPartNumber("The requested partnumber is not satisfiable",
                                PartNumberRequested=text, ActualPartCount=str(len(sizes)))  # fmt: skip
    start = sum(sizes[: number - 1])
    return number, start, start + sizes[number - 1]


def checksum_headers(service: BucketService, manifest: ObjectManifest, part: int | None) -> dict[str, str]:
    """The ``x-amz-checksum-*`` headers of a checksum-mode GET / HEAD: the object's checksum
    (a ``COMPOSITE`` one with S3's ``-N`` suffix), or for a ``partNumber`` request the
    part's own (``COMPOSITE``; a ``FULL_OBJECT`` checksum does not apply to a part)."""
    if not manifest.checksums:
        return {}
    composite = manifest.checksum_type == "COMPOSITE" and manifest.parts > 0
    values = dict(manifest.checksums)
    if part is not None and manifest.parts > 0:
        if not composite:
            return {}
        value = service.part_checksums(manifest)[part - 1]
        if value is None:
            return {}
        values = {algo: value for algo in values}
    elif composite:
        values = {algo: f"{value}-{manifest.parts}" for algo, value in values.items()}
    headers = {f"x-amz-checksum-{algo}": value for algo, value in values.items()}
    if manifest.checksum_type:
        headers["x-amz-checksum-type"] = manifest.checksum_type
    return headers


def get_object(
    service: BucketService,
    request: Request,
    bucket: str,
    key: str,
    root: CID | None,
    head: bool,
    record: BucketRecord | None = None,
) -> Response:
    """GetObject / HeadObject; ``record``: the bucket's record the access decision read (see
    ``Reads.snapshot``), else it is read here."""
    found = service.find_object(bucket, key, root, request.args.get("versionId"), record)
    manifest, read_at = found.manifest, found.root
    if not head and attributes.archived(manifest.attributes):
        raise InvalidObjectState("The operation is not valid for the object's storage class",
                                 StorageClass=manifest.attributes["sc"])  # fmt: skip
    conditional = check_read_conditions(request, manifest)
    if conditional is not None:
        response_root.set(read_at)
        return conditional
    headers = object_headers(manifest, request)
    if "rs" in manifest.attributes and restores.read((bucket, key, found.version_id)) == "IN_PROGRESS":
        headers["x-amz-restore"] = 'ongoing-request="true"'
    if found.version_id is not None:
        headers["x-amz-version-id"] = found.version_id
    size = manifest.body.size
    status = 200
    span: tuple[int, int] | None = None
    part: int | None = None
    if "partNumber" in request.args:
        part, *bounds = _part_range(service, manifest, request.args["partNumber"])
        span = (bounds[0], bounds[1])
        status = 206
    else:
        span = parse_range(request.headers.get("Range"), size)
        if span is not None:
            status = 206
    start, end = span if span is not None else (0, size)
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}" if end > start else f"bytes */{size}"
    if (status == 200 or part is not None) and request.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
        headers.update(checksum_headers(service, manifest, part))
    headers["Content-Length"] = str(end - start)
    response_root.set(read_at)
    if head:
        return Response(status, headers)
    pieces = service.read_body(manifest, start, end)
    first = next(pieces, None)  # surface storage errors before the status line goes out
    body: Iterable[bytes] = [] if first is None else _chain(first, pieces)
    return Response(status, headers, body)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
