"""Browser uploads (POST of an HTML form to a bucket): the policy document a presigned POST
carries, checked as S3 checks it (pure).

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html: the
policy is base64 JSON ``{"expiration": <ISO 8601>, "conditions": [...]}``; a condition is
``{"field": "value"}`` (exact match), ``["eq", "$field", "value"]``, ``["starts-with",
"$field", "prefix"]`` or ``["content-length-range", min, max]``.  Every form field except
``policy``, the signature fields, ``file`` and ``x-ignore-*`` ones must be covered by a
condition.  Field names are compared case-insensitively.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Mapping
from typing import Any

from moto_forge.errors import AccessDenied, EntityTooLarge, EntityTooSmall, InvalidPolicyDocument

UNCOVERED = frozenset({"policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"})
"""Form fields no condition needs to name."""


def decode(policy: str) -> dict[str, Any]:
    """The policy document of a form's ``policy`` field (``InvalidPolicyDocument`` if it is not one)."""
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise InvalidPolicyDocument("Invalid Policy: Invalid JSON.") from exc
    if not isinstance(document, dict) or not isinstance(document.get("conditions"), list):
        raise InvalidPolicyDocument("Invalid Policy: Policy missing conditions.")
    if not isinstance(document.get("expiration"), str):
        raise InvalidPolicyDocument("Invalid Policy: Policy missing expiration.")
    return document


def check(document: Mapping[str, Any], fields: Mapping[str, str], bucket: str, size: int, now: float) -> None:
    """Raise the S3 error a POST upload of ``size`` bytes with form ``fields`` (lower-case
    names) to ``bucket`` gets under policy ``document``; return if the policy allows it."""
    expires = _when(str(document["expiration"]))
    if now > expires:
        raise AccessDenied("Invalid according to Policy: Policy expired.")
    covered: set[str] = set()
    for condition in document["conditions"]:
        covered.add(_check_condition(condition, fields, bucket, size))
    extra = sorted(name for name in fields if name not in covered and name not in UNCOVERED
                   and not name.startswith("x-ignore-"))  # fmt: skip
    if extra:
        raise AccessDenied(f"Invalid according to Policy: Extra input fields: {extra[0]}")


def _bound(value: Any) -> int:
    """A bound of a ``content-length-range`` condition: an integer, or a string of one."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidPolicyDocument(f"Invalid Policy: content-length-range bound {json.dumps(value)[:40]}")
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidPolicyDocument(f"Invalid Policy: content-length-range bound {json.dumps(value)[:40]}") from exc


def _check_condition(condition: Any, fields: Mapping[str, str], bucket: str, size: int) -> str:
    """Check one condition; return the field it covers ("" for a length range)."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, value),) = condition.items()
        name = str(name).lower()
        if _value(name, fields, bucket) != value:
            raise _failed(["eq", f"${name}", value])
        return name
    if not isinstance(condition, list) or not condition:
        raise InvalidPolicyDocument(f"Invalid Policy: Invalid Simple-Condition: {json.dumps(condition)[:100]}")
    operation = str(condition[0]).lower()
    if operation == "content-length-range" and len(condition) == 3:
        low, high = _bound(condition[1]), _bound(condition[2])
        if size > high:
            raise EntityTooLarge("Your proposed upload exceeds the maximum allowed size", MaxSizeAllowed=str(high))
        if size < low:
            raise EntityTooSmall("Your proposed upload is smaller than the minimum allowed size",
                                 MinSizeAllowed=str(low))  # fmt: skip
        return ""
    if operation in ("eq", "starts-with") and len(condition) == 3 and str(condition[1]).startswith("$"):
        name, wanted = str(condition[1])[1:].lower(), str(condition[2])
        actual = _value(name, fields, bucket)
        if operation == "eq":
            ok = actual == wanted
        elif name == "content-type":  # each of a comma-separated list must start so
            ok = all(part.strip().startswith(wanted) for part in actual.split(","))
        else:
            ok = actual.startswith(wanted)
        if not ok:
            raise _failed(condition)
        return name
    raise InvalidPolicyDocument(f"Invalid Policy: Invalid Condition: {json.dumps(condition)[:100]}")


def _value(name: str, fields: Mapping[str, str], bucket: str) -> str:
    return bucket if name == "bucket" else fields.get(name, "")


def _failed(condition: Any) -> AccessDenied:
    return AccessDenied(f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)[:200]}")


def _when(text: str) -> float:
    for layout in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.datetime.strptime(text, layout).replace(tzinfo=datetime.UTC).timestamp()
        except ValueError:
            continue
    raise InvalidPolicyDocument(f"Invalid Policy: Invalid 'expiration' value: '{text[:40]}'")
