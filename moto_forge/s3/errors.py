"""S3 error responses: every moto_forge error leaves the server as the XML body,
code and HTTP status S3 clients expect; nothing escapes as a traceback."""

from __future__ import annotations

import os
import random
import re
from xml.sax.saxutils import escape

from moto_forge.errors import (
    BlobUnavailableError,
    BlockError,
    CodecError,
    ConflictError,
    ForgeError,
    InvalidKeyError,
    ManifestError,
    MstLimitError,
    S3Error,
    StorageError,
)

_REQUEST_IDS = random.Random(os.urandom(16))
"""Request ids name a request in logs and error bodies; they guard nothing, so they come
from a seeded generator rather than a system call each."""


def request_id() -> str:
    """16 upper-case hex digits, as S3's ``x-amz-request-id``."""
    return f"{_REQUEST_IDS.getrandbits(64):016X}"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry, even escaped (an error may echo them from a request)."""


def xml_text(value: object) -> str:
    """``value`` as XML character data: escaped, and characters XML cannot hold shown as ``\\xNN``."""
    return escape(_NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value)))


def clean_xml(body: bytes) -> bytes:
    """An XML document someone else rendered (moto's errors), with the characters XML
    cannot carry (echoed from a request) shown as ``\\xNN``."""
    text = body.decode("utf-8", "replace")
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text).encode("utf-8")


def error_xml(code: str, message: str, rid: str, details: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"<{k}>{xml_text(v)}</{k}>" for k, v in (details or {}).items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{xml_text(code)}</Code><Message>{xml_text(message)}</Message>{extra}"
        f"<RequestId>{rid}</RequestId></Error>"
    ).encode()


def classify(exc: ForgeError) -> tuple[str, int, str, dict[str, str]]:
    """(S3 code, HTTP status, message, extra fields) for any moto_forge error."""
    if isinstance(exc, S3Error):
        return exc.code, exc.status, exc.message, dict(exc.details)
    if isinstance(exc, InvalidKeyError):  # over-long keys are KeyTooLong (an S3Error) at check_key
        return "InvalidArgument", 400, f"Invalid key: {exc.reason}", {}
    if isinstance(exc, MstLimitError):
        return "InvalidArgument", 400, str(exc), {}
    if isinstance(exc, ConflictError):
        return "SlowDown", 503, "Too many concurrent writes to this bucket; retry", {}
    if isinstance(exc, BlobUnavailableError):
        return "ServiceUnavailable", 503, f"Stored data is not reachable right now: {exc}", {}
    if isinstance(exc, StorageError):
        return "ServiceUnavailable", 503, f"Storage is unavailable: {exc}", {}
    if isinstance(exc, (BlockError, ManifestError, CodecError)):
        return "InternalError", 500, f"Stored data failed verification: {exc}", {}
    return "InternalError", 500, str(exc), {}
