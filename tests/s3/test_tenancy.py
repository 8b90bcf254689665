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
    checked = check_access(registry.get_bucket, alice, "alices", False, None)
    assert checked == registry.get_bucket("alices")  # the record decided on, for the read to use
    assert check_access(registry.get_bucket, default, "servers", False, None) == registry.get_bucket("servers")
    assert check_access(registry.get_bucket, UNCHECKED, "alices", False, "servers") is None  # nothing read
    assert check_access(registry.get_bucket, bob, "nobody-has-this", True, None) is None  # creating a free name
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


def test_a_read_acts_on_the_record_its_access_was_decided_on(service: BucketService) -> None:
    """GET and HEAD read the bucket the tenancy check read (one registry read, and no
    other bucket of that name can be read in between)."""
    import io

    service.create_bucket("alices", ALICE)
    service.put_object("alices", "k", io.BytesIO(b"first"))
    checked = check_access(service.registry.get_bucket, Principal(ALICE), "alices", False, None)
    assert checked is not None
    service.put_object("alices", "k", io.BytesIO(b"second"))  # the bucket moves on meanwhile
    reads: list[str] = []
    original = service.registry.get_bucket

    def counting(name: str) -> object:
        reads.append(name)
        return original(name)

    service.registry.get_bucket = counting  # type: ignore[method-assign]
    found = service.find_object("alices", "k", record=checked)
    assert reads == [] and found.root == checked.root
    assert b"".join(service.read_body(found.manifest, 0, None)) == b"first"
    assert service.find_object("alices", "k").root != checked.root and reads == ["alices"]
    other = check_access(service.registry.get_bucket, Principal(None), "servers", False, None)
    assert other is None  # no such bucket: nothing to pin, the read looks itself
