"""The history's label for who made a request (:mod:`moto_forge.bucket.actor`), from its
credentials: ``key:<id>`` once a signature is checked, else what the client claims."""

from __future__ import annotations

import re
from collections.abc import Mapping

_SIGV4 = re.compile(r"Credential=([^/,\s]+)/")
_SIGV2 = re.compile(r"^AWS ([^:\s]+):")


def verified(access_key: str) -> str:
    """The label of a request whose signature by ``access_key`` was checked."""
    return f"key:{access_key}"


def claimed(authorization: str, args: Mapping[str, str]) -> str:
    """The label of a request whose signature nobody checks: ``claimed:<access key>`` as the
    request names it (SigV4 or SigV2: its ``Authorization`` header, else the query ``args``
    the request already parsed), else ``anonymous``."""
    found = _SIGV4.search(authorization) or _SIGV2.match(authorization)
    if found is not None:
        return f"claimed:{found.group(1)[:128]}"
    credential = args.get("X-Amz-Credential", "").split("/")[0] or args.get("AWSAccessKeyId", "")
    return f"claimed:{credential[:128]}" if credential else "anonymous"
