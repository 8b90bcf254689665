"""moto's IAM authorization emulation, for S3 requests served by moto_forge.

A moto user turns it on with ``set_initial_no_auth_action_count(n)``: after ``n``
requests, moto checks each request's SigV4 signature against the IAM access keys it
made and the request's action against their IAM policies.  moto does this inside its
handlers, from what it is handed; S3App hands moto a rewritten request (a fixed Host,
a path-style path), which no signature covers.  So S3App records the request as it was
signed (:data:`signed`), and the check always reads that: moto's handlers through
:func:`as_signed` (ForgeS3Response wraps moto's check in it), and the operations S3App
serves without moto (PutObject, GetObject, ListObjects, ...) through the same moto code
before they run.  Only without credentials of moto_forge's own: with them, S3App's
SigV4 and tenancy decide, and moto's emulation is never consulted.
"""

from __future__ import annotations

import contextvars
import math
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto import settings
from werkzeug.datastructures import Headers


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parts of a request its SigV4 signature covers, as the client sent them."""

    raw_path: str
    """The path, still percent-encoded."""
    url: str
    """Scheme, Host, raw path and raw query."""
    headers: Headers


signed: contextvars.ContextVar[SignedRequest | None] = contextvars.ContextVar("forge_signed_request", default=None)


def active() -> bool:
    """Whether a moto user turned the emulation on (``INITIAL_NO_AUTH_ACTION_COUNT`` finite)."""
    return math.isfinite(settings.INITIAL_NO_AUTH_ACTION_COUNT)


SIGNED_URL = "moto_forge.signed_url"
"""Set by the in-process transport: the URL botocore signed (it hands S3App a path-style
request with a fixed Host, as a server would see a virtual-host one made path-style)."""


def as_sent(environ: dict[str, Any], headers: Headers) -> SignedRequest:
    """The request as its client signed it: the URL the in-process transport recorded, or
    the Host, raw path and raw query a server received."""
    url = environ.get(SIGNED_URL)
    if isinstance(url, str):
        parsed = urllib.parse.urlsplit(url)
        sent = Headers([(k, v) for k, v in headers.items() if k.lower() != "host"])
        sent.add("Host", parsed.netloc)
        return SignedRequest(parsed.path or "/", url, sent)
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    path, _, query = str(raw).partition("?")
    host = headers.get("Host", "")
    url = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")
    return SignedRequest(path, url, headers)


@contextmanager
def as_signed(response: Any) -> Iterator[None]:
    """While entered, moto's response object ``response`` shows the request as signed (its
    ``raw_path``, ``uri`` and ``headers``), when S3App recorded one."""
    view = signed.get()
    if view is None:
        yield
        return
    saved = response.raw_path, response.uri, response.headers
    response.raw_path, response.uri, response.headers = view.raw_path, view.url, view.headers
    try:
        yield
    finally:
        response.raw_path, response.uri, response.headers = saved
