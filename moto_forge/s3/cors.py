"""CORS as S3 evaluates it (pure): a bucket's rules, a preflight's answer, and the headers
an actual cross-origin request's response carries.

S3 takes the *first* rule that matches a request (https://docs.aws.amazon.com/AmazonS3/
latest/userguide/cors.html, "How does Amazon S3 evaluate the CORS configuration"): its
``AllowedOrigin`` matches the ``Origin`` (each pattern may hold one ``*`` wildcard), its
``AllowedMethod`` holds the method (the ``Access-Control-Request-Method`` of a
preflight), and, for a preflight, every header named in ``Access-Control-Request-Headers``
matches one of its ``AllowedHeader`` patterns (case-insensitive, one ``*`` each).

The rules come as moto's handler parsed them (the ``cors`` entry of the bucket's
configuration document): a list of maps whose values are a string or a list of strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from moto_forge.errors import AccessForbidden, BadRequest

VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request "
    "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the "
    "resource's CORS spec."
)


@dataclass(frozen=True, slots=True)
class CorsRule:
    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    max_age: str | None = None

    def allows(self, origin: str, method: str) -> bool:
        return method in self.methods and any(_matches(pattern, origin, False) for pattern in self.origins)

    def allows_headers(self, requested: Sequence[str]) -> bool:
        return all(any(_matches(pattern, name, True) for pattern in self.headers) for name in requested)


def parse_rules(entry: Any) -> list[CorsRule]:
    """The rules of a configuration document's ``cors`` entry (``[]`` for none or a malformed one)."""
    if not isinstance(entry, Mapping) or not entry.get("args"):
        return []
    raw_rules = entry["args"][0]
    rules = []
    for raw in raw_rules if isinstance(raw_rules, list) else []:
        if not isinstance(raw, Mapping):
            continue
        max_age = raw.get("MaxAgeSeconds")
        rules.append(
            CorsRule(
                origins=_strings(raw.get("AllowedOrigin")),
                methods=_strings(raw.get("AllowedMethod")),
                headers=_strings(raw.get("AllowedHeader")),
                expose=_strings(raw.get("ExposeHeader")),
                max_age=str(max_age) if max_age is not None else None,
            )
        )
    return rules


def preflight(rules: Sequence[CorsRule], headers: Mapping[str, str]) -> dict[str, str]:
    """The response headers of an allowed preflight (``OPTIONS``) with request ``headers``
    (lower-case names); raises the S3 error of a refused one."""
    origin = headers.get("origin")
    if not origin:
        raise BadRequest("Insufficient information. Origin request header needed.")
    method = headers.get("access-control-request-method")
    if not method:
        raise BadRequest("Invalid Access-Control-Request-Method: null")
    requested = [h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]
    if not rules:
        raise AccessForbidden("CORSResponse: CORS is not enabled for this bucket.")
    for rule in rules:
        if rule.allows(origin, method) and rule.allows_headers(requested):
            answer = _allowed(rule, origin)
            if requested:
                answer["Access-Control-Allow-Headers"] = ", ".join(requested)
            return answer
    raise AccessForbidden(NOT_ALLOWED)


def actual(rules: Sequence[CorsRule], origin: str, method: str) -> dict[str, str]:
    """The CORS headers of the response to a cross-origin ``method`` request from ``origin``
    (only ``Vary`` when no rule allows it: the browser then refuses the response)."""
    for rule in rules:
        if rule.allows(origin, method):
            return _allowed(rule, origin)
    return {"Vary": VARY} if rules else {}


def _allowed(rule: CorsRule, origin: str) -> dict[str, str]:
    wildcard = "*" in rule.origins
    answer = {
        "Access-Control-Allow-Origin": "*" if wildcard else origin,
        "Access-Control-Allow-Methods": ", ".join(rule.methods),
        "Vary": VARY,
    }
    if not wildcard:
        answer["Access-Control-Allow-Credentials"] = "true"
    if rule.expose:
        answer["Access-Control-Expose-Headers"] = ", ".join(rule.expose)
    if rule.max_age is not None:
        answer["Access-Control-Max-Age"] = rule.max_age
    return answer


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _matches(pattern: str, value: str, ignore_case: bool) -> bool:
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """``pattern`` with its ``*`` wildcards as a regular expression (everything else literal)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)
