"""CORS evaluation as S3's: first matching rule, wildcards, preflight errors."""

from __future__ import annotations

import pytest

from moto_forge.errors import AccessForbidden, BadRequest
from moto_forge.s3 import cors

ENTRY = {"call": "put_bucket_cors", "args": [[
    {"AllowedOrigin": "https://*.example.com", "AllowedMethod": "GET", "MaxAgeSeconds": "30"},
    {"AllowedOrigin": ["https://app.example.com", "http://localhost:3000"], "AllowedMethod": ["GET", "PUT"],
     "AllowedHeader": ["Content-Type", "x-amz-*"], "ExposeHeader": "ETag"},
    {"AllowedOrigin": "*", "AllowedMethod": "HEAD"},
]]}  # fmt: skip
RULES = cors.parse_rules(ENTRY)


def preflight(origin: str | None, method: str | None, headers: str = "") -> dict[str, str]:
    request = {"origin": origin, "access-control-request-method": method, "access-control-request-headers": headers}
    return cors.preflight(RULES, {k: v for k, v in request.items() if v})


def test_the_first_matching_rule_answers() -> None:
    got = preflight("https://app.example.com", "GET")
    assert got["Access-Control-Allow-Methods"] == "GET" and got["Access-Control-Max-Age"] == "30"
    got = preflight("https://app.example.com", "PUT", "Content-Type, X-Amz-Meta-From")
    assert got["Access-Control-Allow-Methods"] == "GET, PUT" and got["Access-Control-Expose-Headers"] == "ETag"
    assert got["Access-Control-Allow-Headers"] == "content-type, x-amz-meta-from"
    assert got["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert got["Access-Control-Allow-Credentials"] == "true" and "Origin" in got["Vary"]


def test_a_wildcard_rule_allows_any_origin_as_star() -> None:
    got = preflight("https://anyone.test", "HEAD")
    assert got["Access-Control-Allow-Origin"] == "*" and "Access-Control-Allow-Credentials" not in got


@pytest.mark.parametrize(("origin", "method", "headers"), [
    ("https://evil.test", "PUT", ""),  # no rule for the origin and method
    ("https://example.com", "GET", ""),  # "*." needs a subdomain
    ("https://app.example.com", "DELETE", ""),  # method not allowed
    ("https://app.example.com", "PUT", "authorization"),  # header not allowed
])  # fmt: skip
def test_a_preflight_no_rule_allows_is_403(origin: str, method: str, headers: str) -> None:
    with pytest.raises(AccessForbidden, match="not allowed"):
        preflight(origin, method, headers)


def test_incomplete_preflights_and_buckets_without_cors() -> None:
    with pytest.raises(BadRequest, match="Origin"):
        preflight(None, "GET")
    with pytest.raises(BadRequest, match="Access-Control-Request-Method"):
        preflight("https://app.example.com", None)
    with pytest.raises(AccessForbidden, match="not enabled"):
        cors.preflight([], {"origin": "https://a.test", "access-control-request-method": "GET"})
    assert cors.parse_rules(None) == [] and cors.parse_rules({"call": "x", "args": ["junk"]}) == []


def test_actual_requests_get_headers_only_from_a_matching_rule() -> None:
    assert cors.actual(RULES, "http://localhost:3000", "PUT")["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "Access-Control-Allow-Origin" not in cors.actual(RULES, "http://localhost:3000", "DELETE")
    assert cors.actual([], "http://localhost:3000", "GET") == {}
