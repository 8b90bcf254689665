"""What a request names, decided once: the bucket, the key, the copy source and the
query parameters (pure: text in, values out; no server, no registry).

Contract: :func:`resolve` is the only place that reads ``Host`` and the request path,
:func:`parse_copy_source` the only reader of ``x-amz-copy-source`` and
:func:`query_pairs` the only parser of the raw query.  The tenancy check, the
streaming paths, the signature checks and moto (through the overrides in
:mod:`moto_forge.s3.app`) all act on the values they return, never on a second
reading of the same text.

Tricky bits:
- A Host that is not ``<bucket>.<domain>`` for one of the server's domains is
  path-style, whatever it looks like (``victim.example.com`` names no bucket).
- Keys are decoded from the raw request target as strict UTF-8: ``%FF``, overlong
  forms and surrogates are refused, so two different byte strings never become one key.
- A copy source is ``[/]bucket/key[?versionId=id]``, percent-encoded; anything with a
  scheme, an authority (``//host/``) or another parameter is refused.
- A query parameter named twice is refused: a signature check and an operation must
  never read different copies.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from moto_forge.bucket.names import check_bucket_name
from moto_forge.errors import InvalidArgument, InvalidBucketName

_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_IPV6 = re.compile(r"^\[[0-9a-f:.]+\]$")
MAX_HOST = 255
UNSUPPORTED_HOSTS = (".s3-accesspoint.", ".s3-object-lambda.", ".mrap.")
"""Host forms of S3 features this server does not offer: refused, never read as path-style."""


class InvalidURI(InvalidArgument):
    code = "InvalidURI"


@dataclass(frozen=True, slots=True)
class Target:
    """The bucket and key a request names (``None``: the service root / a bucket request)."""

    bucket: str | None
    key: str | None
    virtual_host: bool = False


@dataclass(frozen=True, slots=True)
class CopySource:
    """A parsed ``x-amz-copy-source``."""

    bucket: str
    key: str
    version_id: str | None = None

    def header(self) -> str:
        """The canonical header value naming exactly this source (what moto is handed)."""
        text = "/" + self.bucket + "/" + urllib.parse.quote(self.key, safe="/~")
        if self.version_id is not None:
            text += "?versionId=" + urllib.parse.quote(self.version_id, safe="")
        return text


RAW_HEADERS = "moto_forge.raw_headers"
IN_PROCESS = "moto_forge.in_process"
"""Set by the in-process transport (``mock_forge``): no HTTP in between, so a HEAD answer
keeps the body moto gave it, as under moto's own ``mock_aws`` (botocore reads its error code)."""
"""The environ key under which a server may pass the request's header fields as received:
a list of ``(name, value)``.  WSGI cannot carry names with ``_`` (werkzeug drops them,
since ``HTTP_X_A_B`` is ambiguous), and S3 user metadata may use them (``x-amz-meta-a_b``)."""


def headers_as_sent(environ: dict[str, Any]) -> list[tuple[str, str]] | None:
    """The header fields a server passed under :data:`RAW_HEADERS` (line breaks removed, as
    werkzeug does), or ``None`` if it passed none."""
    raw = environ.get(RAW_HEADERS)
    if raw is None:
        return None
    return [(str(name), str(value).replace("\r\n", "").replace("\n", "")) for name, value in raw]


def raw_path_and_query(environ: dict[str, Any]) -> tuple[str, str]:
    """The request target's path (still percent-encoded) and query, as the client sent them
    (``RAW_URI`` from the server; rebuilt from ``PATH_INFO`` where there is none)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path, _, query = raw.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form: the authority is the Host
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        return path or "/", query
    path_info = environ.get("PATH_INFO", "/")
    return urllib.parse.quote(path_info.encode("latin-1", "replace"), safe="/~"), environ.get("QUERY_STRING", "")


def parse_host(header: str | None) -> str:
    """The host name of a ``Host`` header, lower-cased, without its port.

    Empty is allowed (HTTP/1.0 without Host: path-style).  Raises :class:`InvalidURI`
    for a name with empty labels, characters a host name cannot have, or a bad port.
    """
    text = (header or "").strip().lower()
    if not text:
        return ""
    if text.startswith("["):
        host, _, rest = text.partition("]")
        host += "]"
        port = rest[1:] if rest.startswith(":") else rest
        if not _IPV6.match(host) or (rest and not rest.startswith(":")):
            raise InvalidURI(f"The Host header {text!r} is not a valid host name")
    else:
        host, _, port = text.partition(":")
        labels = host.split(".")
        if len(host) > MAX_HOST or not all(_LABEL.match(label) for label in labels):
            raise InvalidURI(f"The Host header {text!r} is not a valid host name")
    if port and not (port.isdigit() and len(port) <= 5):
        raise InvalidURI(f"The Host header {text!r} has an invalid port")
    return host


def decode_path(raw_path: str) -> str:
    """The request path, percent-decoded as strict UTF-8 (:class:`InvalidURI` otherwise)."""
    try:
        return urllib.parse.unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidURI("The request path is not valid UTF-8 once percent-decoded") from exc


def resolve(host: str, path: str, domains: tuple[str, ...]) -> Target:
    """The :class:`Target` of a request to ``host`` (from :func:`parse_host`) for the decoded
    ``path`` (from :func:`decode_path`), with ``domains`` addressing buckets virtual-host style."""
    if not path.startswith("/"):
        raise InvalidURI("The request path must start with '/'")
    if any(marker in host for marker in UNSUPPORTED_HOSTS):
        raise InvalidURI(f"Access point and Object Lambda hosts are not supported by this server: {host}")
    for domain in domains:
        suffix = "." + domain
        if host.endswith(suffix) and len(host) > len(suffix):
            bucket = host[: -len(suffix)]
            try:
                check_bucket_name(bucket)
            except InvalidBucketName as exc:
                raise InvalidBucketName(f"The Host names an invalid bucket: {exc.message}", BucketName=bucket) from exc
            return Target(bucket, path[1:] or None, True)
    bucket, _, key = path[1:].partition("/")
    return Target(bucket or None, key or None, False)


def query_pairs(raw_query: str) -> list[tuple[str, str | None]]:
    """``(name, value)`` of each parameter in order, decoded (``+`` is a space); ``None``
    for a parameter without ``=``.  Raises :class:`InvalidArgument` when a name repeats."""
    pairs: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for part in raw_query.split("&") if raw_query else []:
        if not part:
            continue
        raw_name, sep, raw_value = part.partition("=")
        name = urllib.parse.unquote_plus(raw_name)
        if name in seen:
            raise InvalidArgument(f"The query parameter {name!r} appears more than once", ArgumentName=name)
        seen.add(name)
        pairs.append((name, urllib.parse.unquote_plus(raw_value) if sep else None))
    return pairs


def parse_copy_source(value: str, *, legacy_names: bool = False) -> CopySource:
    """The source an ``x-amz-copy-source`` value names (see the module contract);
    ``legacy_names``: its bucket may have a name only S3's legacy rules allow."""

    def refuse(why: str) -> InvalidArgument:
        return InvalidArgument(f"Invalid copy source {value[:200]!r}: {why}", ArgumentName="x-amz-copy-source")

    path, sep, query = value.strip().partition("?")
    try:
        decoded = decode_path("/" + path) if path else "/"  # clients may encode the slashes too
    except InvalidURI as exc:
        raise refuse("it is not valid UTF-8 once percent-decoded") from exc
    decoded = decoded[1:]  # the "/" added above
    if "://" in decoded or decoded.startswith("//"):
        raise refuse("a copy source is /bucket/key, not a URL")
    if decoded.startswith("arn:"):
        raise refuse("access point copy sources are not supported")
    version_id = None
    if sep:
        params = query_pairs(query)
        if [name for name, _ in params] != ["versionId"] or not params[0][1]:
            raise refuse("the only parameter a copy source takes is versionId")
        version_id = params[0][1]
    bucket, slash, key = decoded.removeprefix("/").partition("/")
    if not slash or not key:
        raise refuse("it must name a bucket and a key")
    try:
        check_bucket_name(bucket, legacy=legacy_names)
    except InvalidBucketName as exc:
        raise refuse(exc.message) from exc
    return CopySource(bucket, key, version_id)


_COPY_RANGE = re.compile(r"^bytes=(\d{1,19})-(\d{1,19})$")


def parse_copy_range(value: str) -> tuple[int, int]:
    """``(first, last)`` (inclusive) of an ``x-amz-copy-source-range`` (``bytes=first-last``);
    :class:`InvalidArgument` for anything else (the source's size is checked by the copy)."""
    found = _COPY_RANGE.match(value.strip())
    if found is None or int(found.group(1)) > int(found.group(2)):
        raise InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last "
            "are the zero-based offsets of the first and last bytes to copy",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=value[:100],
        )
    return int(found.group(1)), int(found.group(2))
