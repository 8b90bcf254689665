"""The headers a presigned request acts with (moto_forge/s3/presigned.py)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import Headers

from moto_forge.errors import SignatureDoesNotMatch
from moto_forge.s3.presigned import effective_headers, is_presigned


def test_presigned_means_a_query_signature() -> None:
    assert is_presigned({"Signature": "s", "AWSAccessKeyId": "a"})
    assert is_presigned({"X-Amz-Signature": "s"})
    assert not is_presigned({"Signature": "s"})
    assert not is_presigned({})


def test_amz_parameters_become_headers_and_auth_parameters_do_not() -> None:
    pairs = [
        ("x-amz-meta-venue", "123"),
        ("X-Amz-Signature", "sig"),
        ("X-Amz-Credential", "c"),
        ("x-amz-tagging", None),
    ]
    out = effective_headers(Headers([("Host", "h")]), pairs)
    assert out.get("x-amz-meta-venue") == "123"
    assert out.get("x-amz-tagging") == ""
    assert "x-amz-signature" not in out and "x-amz-credential" not in out
    assert out.get("Host") == "h"


def test_a_header_that_repeats_the_parameter_is_fine_a_different_one_is_refused() -> None:
    same = effective_headers(Headers([("x-amz-meta-a", "1")]), [("x-amz-meta-a", "1")])
    assert same.getlist("x-amz-meta-a") == ["1"]
    with pytest.raises(SignatureDoesNotMatch):
        effective_headers(Headers([("x-amz-meta-a", "2")]), [("x-amz-meta-a", "1")])


@pytest.mark.parametrize("sent", [[], [("Content-Type", "text/evil")]])
def test_a_signed_content_parameter_must_be_sent_as_that_header(sent: list[tuple[str, str]]) -> None:
    with pytest.raises(SignatureDoesNotMatch):
        effective_headers(Headers(sent), [("content-type", "app/sth")])
    assert effective_headers(Headers([("Content-Type", "app/sth")]), [("content-type", "app/sth")])
