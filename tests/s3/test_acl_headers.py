"""ACL headers are checked before moto's parser, which trusts them."""

from __future__ import annotations

import pytest

from moto_forge.errors import InvalidArgument
from moto_forge.s3.acl_headers import CANNED_ACLS, check_acl_headers


@pytest.mark.parametrize("canned", sorted(CANNED_ACLS))
def test_every_canned_acl_passes(canned: str) -> None:
    check_acl_headers([("X-Amz-Acl", canned), ("Host", "h")])


@pytest.mark.parametrize(
    "value",
    [
        'id="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"',
        "id=abc",
        'uri="http://acs.amazonaws.com/groups/global/AllUsers", id="x"',
        "emailAddress=someone@example.com",
        ' EmailAddress = "someone@example.com" ,uri=http://acs.amazonaws.com/groups/s3/LogDelivery',
        'url="http://acs.amazonaws.com/groups/global/AllUsers"',  # moto's own tests send url=
    ],
)
def test_well_formed_grants_pass(value: str) -> None:
    check_acl_headers([("x-amz-grant-read", value), ("x-amz-grant-full-control", value)])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x-amz-acl", "weird"),
        ("x-amz-acl", ""),
        ("x-amz-acl", "PRIVATE"),
        ("x-amz-grant-read", "garbage"),
        ("x-amz-grant-read", ""),
        ("x-amz-grant-read", "id=a,"),
        ("x-amz-grant-read", "id="),
        ("x-amz-grant-read", '="a"'),
        ("x-amz-grant-everything", "id=a"),
    ],
)
def test_a_bad_acl_header_is_invalid_argument(name: str, value: str) -> None:
    with pytest.raises(InvalidArgument):
        check_acl_headers([("Host", "h"), (name, value)])


def test_other_headers_are_not_looked_at() -> None:
    check_acl_headers([("x-amz-meta-acl", "weird"), ("x-amz-grantee", "garbage")])
