"""Sub-resources the server has no handler for are refused, never run as the method's plain
operation (moto's fallback)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import Headers

from moto_forge.errors import MethodNotAllowed, NotImplementedByServer
from moto_forge.s3 import subresources
from moto_forge.s3.subresources import NOT_SERVED, S3_BUCKET, S3_OBJECT, check_headers


@pytest.mark.parametrize(
    ("method", "is_object", "names"),
    [
        ("DELETE", False, []),  # DeleteBucket
        ("DELETE", False, ["x-id"]),  # a parameter S3 does not know is ignored, as S3 does
        ("DELETE", False, ["policy"]),
        ("GET", False, ["list-type", "prefix", "delimiter"]),
        ("HEAD", True, ["versionId", "partNumber"]),
        ("PUT", True, ["uploadId", "partNumber"]),
        ("DELETE", True, ["tagging", "versionId"]),
        ("POST", True, ["uploads"]),
        ("GET", False, ["inventory", "id"]),
    ],
)
def test_what_is_served_passes(method: str, is_object: bool, names: list[str]) -> None:
    subresources.check(method, is_object, names)


@pytest.mark.parametrize(
    ("method", "is_object", "name"),
    [
        ("DELETE", False, "acl"),
        ("DELETE", False, "versioning"),
        ("PUT", False, "location"),
        ("POST", False, "analytics"),
        ("DELETE", True, "acl"),
        ("DELETE", True, "restore"),
        ("GET", True, "uploads"),
        ("HEAD", True, "select"),
        ("DELETE", False, "uploadId"),  # an object's sub-resource on the bucket: was a DeleteBucket
        ("GET", False, "retention"),
        ("DELETE", True, "analytics"),  # a bucket's sub-resource on an object: was a DeleteObject
        ("GET", True, "versions"),
    ],
)
def test_a_method_s3_does_not_define_for_the_sub_resource_is_405(method: str, is_object: bool, name: str) -> None:
    with pytest.raises(MethodNotAllowed):
        subresources.check(method, is_object, ["x-id", name])


def test_every_pair_not_served_is_501_and_is_one_s3_defines() -> None:
    for level, table in (("bucket", S3_BUCKET), ("object", S3_OBJECT)):
        for name, methods in NOT_SERVED[level].items():
            assert methods and methods <= table[name], (level, name)
            for method in methods:
                with pytest.raises(NotImplementedByServer):
                    subresources.check(method, level == "object", [name])


def test_head_is_checked_as_get() -> None:
    with pytest.raises(NotImplementedByServer):
        subresources.check("HEAD", True, ["torrent"])
    subresources.check("HEAD", True, ["acl"])


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("PUT", {"x-amz-write-offset-bytes": "0"}),
        ("DELETE", {"X-Amz-If-Match-Size": "3"}),
        ("DELETE", {"x-amz-if-match-last-modified-time": "Mon, 01 Jan 2001 00:00:00 GMT"}),
        ("PUT", {"If-None-Match": '"abc"'}),
        ("POST", {"if-none-match": "abc"}),  # CompleteMultipartUpload
    ],
)
def test_a_write_or_delete_variant_not_served_is_501(method: str, headers: dict[str, str]) -> None:
    with pytest.raises(NotImplementedByServer):
        check_headers(method, True, Headers(headers))


@pytest.mark.parametrize(
    ("method", "is_object", "headers"),
    [
        ("PUT", True, {"If-None-Match": "*", "If-Match": '"abc"'}),
        ("PUT", True, {"If-None-Match": ""}),  # an empty condition is none, as before
        ("DELETE", True, {"If-Match": '"abc"'}),
        ("GET", True, {"If-None-Match": '"abc"', "x-amz-if-match-size": "3"}),  # a read's conditions
        ("PUT", False, {"x-amz-write-offset-bytes": "0"}),  # not an object
    ],
)
def test_what_is_served_passes_the_header_check(method: str, is_object: bool, headers: dict[str, str]) -> None:
    check_headers(method, is_object, Headers(headers))
