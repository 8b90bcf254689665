"""Ownership checks over a real registry: who may use which bucket."""

from __future__ import annotations

import pytest

from moto_forge.bucket.service import BucketService
from moto_forge.errors import AccessDenied, InvalidArgument
from moto_forge.s3.addressing import parse_copy_source
from moto_forge.s3.tenancy import UNCHECKED, BucketAlreadyExists, Principal, check_access

ALICE, BOB = "did:key:zAlice", "did:key:zBob"


@pytest.mark.parametrize(
    ("header", "bucket"),
    [("/src/a/b.txt", "src"), ("src/a.txt", "src"), ("%2Fsrc%2Fk?versionId=null", "src"), ("/", None)],
)
def test_copy_source_bucket(header: str, bucket: str | None) -> None:
    """The bucket the tenancy check is given is the one the copy's single parser names."""
    if bucket is None:
        with pytest.raises(InvalidArgument):
            parse_copy_source(header)
    else:
        assert parse_copy_source(header).bucket == bucket


def test_owners_reach_only_their_buckets(service: BucketService) -> None:
    service.create_bucket("alices", ALICE)
    service.create_bucket("servers")  # the server's own space
    registry = service.registry
    alice, bob, default = Principal(ALICE), Principal(BOB), Principal(None)
    check_access(registry.get_bucket, alice, "alices", False, None)
    check_access(registry.get_bucket, default, "servers", False, None)
    check_access(registry.get_bucket, UNCHECKED, "alices", False, "servers")
    check_access(registry.get_bucket, bob, "nobody-has-this", True, None)  # creating a free name
    with pytest.raises(AccessDenied):
        check_access(registry.get_bucket, bob, "alices", False, None)
    with pytest.raises(AccessDenied):
        check_access(registry.get_bucket, default, "alices", False, None)
    with pytest.raises(BucketAlreadyExists):
        check_access(registry.get_bucket, bob, "alices", True, None)
    with pytest.raises(AccessDenied) as denied:
        check_access(registry.get_bucket, alice, "alices", False, "servers")
    assert denied.value.details["BucketName"] == "servers"
    assert registry.get_bucket("alices").space == ALICE  # type: ignore[union-attr]
    assert registry.get_bucket("servers").space is None  # type: ignore[union-attr]
