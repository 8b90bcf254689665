"""The S3 operation of a request, for the access log (moto_forge/s3/operations.py)."""

from __future__ import annotations

import pytest

from moto_forge.s3.operations import camel, operation_name


@pytest.mark.parametrize(
    ("method", "bucket", "key", "args", "copy", "expected"),
    [
        ("GET", None, None, {}, False, "ListBuckets"),
        ("PUT", "b", None, {}, False, "CreateBucket"),
        ("GET", "b", None, {}, False, "ListObjects"),
        ("GET", "b", None, {"list-type": "2"}, False, "ListObjectsV2"),
        ("GET", "b", None, {"versions": ""}, False, "ListObjectVersions"),
        ("GET", "b", None, {"uploads": ""}, False, "ListMultipartUploads"),
        ("PUT", "b", None, {"tagging": ""}, False, "PutBucketTagging"),
        ("GET", "b", None, {"object-lock": ""}, False, "GetBucketObjectLock"),
        ("DELETE", "b", None, {"publicAccessBlock": ""}, False, "DeleteBucketPublicAccessBlock"),
        ("POST", "b", None, {"delete": ""}, False, "DeleteObjects"),
        ("POST", "b", None, {}, False, "PostObject"),
        ("HEAD", "b", None, {}, False, "HeadBucket"),
        ("PUT", "b", "k", {}, False, "PutObject"),
        ("PUT", "b", "k", {}, True, "CopyObject"),
        ("PUT", "b", "k", {"uploadId": "u", "partNumber": "1"}, False, "UploadPart"),
        ("PUT", "b", "k", {"uploadId": "u", "partNumber": "1"}, True, "UploadPartCopy"),
        ("POST", "b", "k", {"uploads": ""}, False, "CreateMultipartUpload"),
        ("POST", "b", "k", {"uploadId": "u"}, False, "CompleteMultipartUpload"),
        ("DELETE", "b", "k", {"uploadId": "u"}, False, "AbortMultipartUpload"),
        ("GET", "b", "k", {"uploadId": "u"}, False, "ListParts"),
        ("GET", "b", "k", {}, False, "GetObject"),
        ("HEAD", "b", "k", {}, False, "HeadObject"),
        ("GET", "b", "k", {"legal-hold": ""}, False, "GetObjectLegalHold"),
        ("OPTIONS", "b", "k", {}, False, "PreflightRequest"),
        ("PATCH", "b", "k", {}, False, "-"),
    ],
)
def test_operation_names(
    method: str, bucket: str | None, key: str | None, args: dict[str, str], copy: bool, expected: str
) -> None:
    assert operation_name(method, bucket, key, args, copy) == expected


def test_camel() -> None:
    assert camel("object-lock") == "ObjectLock"
    assert camel("publicAccessBlock") == "PublicAccessBlock"
    assert camel("intelligent-tiering") == "IntelligentTiering"
