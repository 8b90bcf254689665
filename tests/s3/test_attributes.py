"""Object attributes from write headers and bucket defaults (pure)."""

from __future__ import annotations

import pytest

from moto_forge.errors import InvalidArgument, InvalidRequest, InvalidStorageClass
from moto_forge.s3 import attributes

LOCKED = {"versioning": {"call": "put_bucket_versioning", "args": ["Enabled"]},
          "object_lock": {"call": "put_object_lock_configuration", "args": [True, "COMPLIANCE", 2, 0]}}  # fmt: skip
KMS_DEFAULT = {"encryption": {"call": "put_bucket_encryption", "args": [{"Rule": {
    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k1"},
    "BucketKeyEnabled": "true"}}]}}  # fmt: skip


def test_headers_set_attributes_and_standard_is_the_default() -> None:
    x = attributes.from_headers({"x-amz-storage-class": "STANDARD"}, {}, 0)
    assert x == {}
    x = attributes.from_headers({"x-amz-storage-class": "GLACIER", "x-amz-server-side-encryption": "aws:kms",
                                 "x-amz-server-side-encryption-aws-kms-key-id": "abc",
                                 "x-amz-website-redirect-location": "https://example.com/", "x-amz-acl": "public-read"},
                                {}, 0)  # fmt: skip
    assert (x["sc"], x["sse"], x["kms"], x["wr"]) == ("GLACIER", "aws:kms", "abc", "https://example.com/")
    assert attributes.acl_of(x["acl"]).public_read and attributes.archived(x)
    assert attributes.response_headers(x)["x-amz-storage-class"] == "GLACIER"
    assert set(attributes.write_headers(x)) == {
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
    }


@pytest.mark.parametrize(("headers", "error"), [
    ({"x-amz-storage-class": "ICE"}, InvalidStorageClass),
    ({"x-amz-server-side-encryption": "rot13"}, InvalidArgument),
    ({"x-amz-website-redirect-location": "ftp://x"}, InvalidArgument),
    ({"x-amz-object-lock-legal-hold": "ON"}, InvalidRequest),  # no Object Lock on the bucket
    ({"x-amz-grant-bogus": "id=1"}, InvalidArgument),
])  # fmt: skip
def test_bad_values_are_the_errors_s3_answers(headers: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        attributes.from_headers(headers, {}, 0)


def test_bucket_defaults_apply_when_the_write_names_none() -> None:
    x = attributes.from_headers({}, KMS_DEFAULT, 0)
    assert x == {"sse": "aws:kms", "kms": "k1", "bk": "true"}
    assert attributes.from_headers({"x-amz-server-side-encryption": "AES256"}, KMS_DEFAULT, 0) == {"sse": "AES256"}
    locked = attributes.from_headers({}, LOCKED, 0)
    assert (locked["lm"], locked["lu"]) == ("COMPLIANCE", "1970-01-03T00:00:00Z")
    with pytest.raises(InvalidArgument):
        attributes.from_headers({"x-amz-object-lock-mode": "GOVERNANCE"}, LOCKED, 0)  # no date
