"""The history's label for who made a request (:mod:`moto_forge.bucket.actor`), from its
credentials: ``key:<id>`` once a signature is checked, else what the client claims."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

_SIGV4 = re.compile(r"Credential=([^/,\s]+)/")
_SIGV2 = re.compile(r"^AWS ([^:\s]+):")


def verified(access_key: str) -> str:
    """The label of a request whose signature by ``access_key`` was checked."""
    return f"key:{access_key}"


def claimed(environ: dict[str, Any]) -> str:
    """The label of a request whose signature nobody checks: ``claimed:<access key>`` as the
    request names it (SigV4 or SigV2, header or query), else ``anonymous``."""
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    found = _SIGV4.search(auth) or _SIGV2.match(auth)
    if found is not None:
        return f"claimed:{found.group(1)[:128]}"
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING") or "")
    credential = (query.get("X-Amz-Credential") or [""])[0].split("/")[0] or (query.get("AWSAccessKeyId") or [""])[0]
    return f"claimed:{credential[:128]}" if credential else "anonymous"
