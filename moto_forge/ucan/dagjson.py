"""Canonical DAG-JSON, as ``@ipld/dag-json`` writes it: the bytes a UCAN's
signature covers.  Compact JSON, map keys in plain string order, links as
``{"/": "<cid>"}``, bytes as ``{"/": {"bytes": "<base64, unpadded>"}}``."""

from __future__ import annotations

import base64
import json
from typing import Any

from moto_forge.errors import CodecError
from moto_forge.ipld.cid import CID


def _prepare(value: Any) -> Any:
    if isinstance(value, CID):
        return {"/": str(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"/": {"bytes": base64.b64encode(bytes(value)).decode("ascii").rstrip("=")}}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise CodecError("DAG-JSON map keys must be strings")
        return {k: _prepare(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_prepare(v) for v in value]
    if isinstance(value, float):
        raise CodecError("floats are not used in UCAN payloads")
    return value


def encode(value: Any) -> bytes:
    """DAG-JSON bytes of ``value`` (data model as in :mod:`moto_forge.ipld.dagcbor`)."""
    return json.dumps(_prepare(value), separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode("utf-8")
