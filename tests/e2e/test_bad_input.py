"""Bad requests get the S3 error code and HTTP status AWS returns, and change nothing:
the bucket's root CID is the same before and after."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Served, client, empty_everything

BUCKET = "strict"


@pytest.fixture
def http(served: Served) -> Iterator[Any]:
    s3 = client(served.url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="sentinel", Body=b"0123456789")
    session = requests.Session()
    yield session
    session.close()
    empty_everything(s3)


def root(served: Served) -> str:
    head = requests.head(f"{served.url}/{BUCKET}/sentinel", timeout=30)
    assert head.status_code == 200
    return head.headers["x-forge-root"]


def error(response: requests.Response) -> tuple[str | None, int]:
    code = None
    if response.content:
        import xml.etree.ElementTree as ET

        code = ET.fromstring(response.content).findtext("Code")
    return code, response.status_code


MD5_OF_OTHER = base64.b64encode(hashlib.md5(b"other").digest()).decode()


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "expected"),
    [
        ("POST", f"/{BUCKET}?delete", {}, b"<Delete><Object><Key>sentinel</Key>", ("MalformedXML", 400)),
        ("POST", f"/{BUCKET}?delete", {}, b"<Delete></Delete>", ("MalformedXML", 400)),
        ("POST", f"/{BUCKET}?delete", {}, b"not xml at all", ("MalformedXML", 400)),
        ("PUT", f"/{BUCKET}/sentinel?tagging", {}, b"<Tagging><TagSet><Tag><Key>a</Key></Tag>", ("MalformedXML", 400)),
        ("PUT", "/ab", {}, b"", ("InvalidBucketName", 400)),
        ("PUT", f"/{BUCKET}?policy", {}, b"not json", ("MalformedPolicy", 400)),
        ("PUT", f"/{BUCKET}?policy", {}, b'{"Version": "2012-10-17"}', ("MalformedPolicy", 400)),
        ("PUT", "/Upper-Case", {}, b"", ("InvalidBucketName", 400)),
        ("PUT", "/bad..name", {}, b"", ("InvalidBucketName", 400)),
        ("PUT", f"/{BUCKET}/" + "k" * 1025, {}, b"x", ("KeyTooLongError", 400)),
        ("GET", f"/{BUCKET}/sentinel", {"Range": "bytes=10-20"}, b"", ("InvalidRange", 416)),
        ("GET", f"/{BUCKET}/sentinel", {"Range": "bytes=-0"}, b"", ("InvalidRange", 416)),
        ("GET", f"/{BUCKET}/sentinel?partNumber=2", {}, b"", ("InvalidPartNumber", 416)),
        ("PUT", f"/{BUCKET}/sentinel", {"Content-MD5": MD5_OF_OTHER}, b"changed", ("BadDigest", 400)),
        ("PUT", f"/{BUCKET}/sentinel", {"Content-MD5": "not-base64!"}, b"changed", ("InvalidDigest", 400)),
        ("PUT", f"/{BUCKET}/sentinel", {"x-amz-checksum-crc32": "AAAAAA=="}, b"changed", ("BadDigest", 400)),
        ("PUT", f"/{BUCKET}/sentinel", {"x-amz-checksum-sha256": "short"}, b"changed", ("InvalidArgument", 400)),
        (
            "PUT",
            f"/{BUCKET}/sentinel",
            {"x-amz-content-sha256": "0" * 64},
            b"changed",
            ("XAmzContentSHA256Mismatch", 400),
        ),
        ("PUT", f"/{BUCKET}/sentinel", {"x-amz-sdk-checksum-algorithm": "MD4"}, b"changed", ("InvalidArgument", 400)),
        (
            "PUT",
            f"/{BUCKET}/sentinel",
            {
                "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                "Content-Encoding": "aws-chunked",
                "x-amz-decoded-content-length": "7",
            },
            b"7\r\nchanged\r\n",
            ("IncompleteBody", 400),
        ),
        (
            "PUT",
            f"/{BUCKET}/sentinel",
            {
                "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                "Content-Encoding": "aws-chunked",
                "x-amz-decoded-content-length": "7",
            },
            b"zz\r\nchanged\r\n0\r\n\r\n",
            ("InvalidRequest", 400),
        ),
        ("GET", f"/{BUCKET}/sentinel?versionId=abc", {}, b"", ("InvalidArgument", 400)),  # never versioned
        ("GET", f"/{BUCKET}/sentinel", {"x-forge-root": "not-a-cid"}, b"", ("InvalidArgument", 400)),
        ("GET", f"/{BUCKET}/sentinel", {"x-forge-root": "bafkqaaa"}, b"", ("NoSuchSnapshot", 404)),
        ("GET", f"/{BUCKET}?list-type=2&continuation-token=garbage", {}, b"", ("InvalidArgument", 400)),
        ("GET", "/no-such-bucket/key", {}, b"", ("NoSuchBucket", 404)),
        (
            "POST",
            f"/{BUCKET}/obj?uploadId=nope",
            {},
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
            ("NoSuchUpload", 404),
        ),
        ("PUT", f"/{BUCKET}/obj?partNumber=1&uploadId=nope", {}, b"x", ("NoSuchUpload", 404)),
        # ACL headers moto's parser trusts (each was a 500: an AssertionError or AttributeError)
        ("PUT", f"/{BUCKET}/sentinel", {"x-amz-acl": "weird"}, b"changed", ("InvalidArgument", 400)),
        ("PUT", f"/{BUCKET}/sentinel?acl", {"x-amz-acl": "weird"}, b"", ("InvalidArgument", 400)),
        ("PUT", f"/{BUCKET}?acl", {"x-amz-grant-full-control": "garbage"}, b"", ("InvalidArgument", 400)),
        ("PUT", f"/{BUCKET}/sentinel", {"x-amz-grant-read": "id=a, nobody"}, b"changed", ("InvalidArgument", 400)),
        ("POST", f"/{BUCKET}/obj?uploads", {"x-amz-grant-everything": "id=a"}, b"", ("InvalidArgument", 400)),
        # moto stored any versioning status and answered a body without one with a bare 404
        (
            "PUT",
            f"/{BUCKET}?versioning",
            {},
            b"<VersioningConfiguration><Status>Maybe</Status></VersioningConfiguration>",
            ("MalformedXML", 400),
        ),
        ("PUT", f"/{BUCKET}?versioning", {}, b"<VersioningConfiguration/>", ("MalformedXML", 400)),
        # variants of a write or delete not served here: they were ignored (an append replaced
        # the object, a delete conditional on size deleted it, If-None-Match: <etag> overwrote it)
        ("PUT", f"/{BUCKET}/sentinel", {"x-amz-write-offset-bytes": "10"}, b"more", ("NotImplemented", 501)),
        ("DELETE", f"/{BUCKET}/sentinel", {"x-amz-if-match-size": "3"}, b"", ("NotImplemented", 501)),
        (
            "DELETE",
            f"/{BUCKET}/sentinel",
            {"x-amz-if-match-last-modified-time": "Mon, 01 Jan 2001 00:00:00 GMT"},
            b"",
            ("NotImplemented", 501),
        ),
        ("PUT", f"/{BUCKET}/sentinel", {"If-None-Match": '"0123"'}, b"changed", ("NotImplemented", 501)),
        # a CopyObject's conditional write (was ignored: the copy overwrote the destination)
        (
            "PUT",
            f"/{BUCKET}/sentinel",
            {"x-amz-copy-source": f"/{BUCKET}/sentinel", "x-amz-metadata-directive": "REPLACE", "If-None-Match": "*"},
            b"",
            ("PreconditionFailed", 412),
        ),
        (
            "PUT",
            f"/{BUCKET}/sentinel",
            {"x-amz-copy-source": f"/{BUCKET}/sentinel", "x-amz-metadata-directive": "REPLACE", "If-Match": '"0123"'},
            b"",
            ("PreconditionFailed", 412),
        ),
        # moto took RenameObject for a PutObject of an empty body: the object was emptied
        (
            "PUT",
            f"/{BUCKET}/sentinel?renameObject",
            {"x-amz-rename-source": f"/{BUCKET}/sentinel"},
            b"",
            ("NotImplemented", 501),
        ),
    ],
)
def test_bad_requests_get_s3_errors_and_change_nothing(
    served: Served,
    http: Any,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    expected: tuple[str, int],
) -> None:
    before = root(served)
    response = http.request(method, served.url + path, headers=headers, data=body, timeout=30)
    assert error(response) == expected, response.content[:300]
    assert root(served) == before
    assert http.get(f"{served.url}/{BUCKET}/sentinel", timeout=30).content == b"0123456789"


def test_a_range_header_on_a_write_is_ignored(served: Served, http: Any) -> None:
    """moto parsed a write's Range header after it had written (a malformed one: 400, the
    write kept); Range means nothing to a write, so moto is never handed it."""
    before = root(served)
    response = http.put(f"{served.url}/{BUCKET}/ranged?uploads", headers={"Range": "*"}, data=b"", timeout=30)
    if response.status_code >= 400:
        assert root(served) == before, response.content
    else:
        assert http.head(f"{served.url}/{BUCKET}/ranged", timeout=30).status_code == 200
    tagged = http.put(f"{served.url}/{BUCKET}/sentinel?tagging", headers={"Range": "bytes=oops"}, timeout=30,
                      data=b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>")  # fmt: skip
    assert tagged.status_code == 200


@pytest.mark.parametrize(
    ("method", "query", "header"),
    [
        ("GET", {"response-content-type": "text/Ā"}, "Content-Type"),
        ("HEAD", {"response-content-disposition": "attachment; filename=Ā.txt"}, "Content-Disposition"),
        ("DELETE", {"versionId": "Ā"}, None),
    ],
)
def test_a_header_echoed_from_a_non_latin1_query_goes_out_as_utf8(
    served: Served, http: Any, method: str, query: dict[str, str], header: str | None
) -> None:
    """A query value with characters beyond Latin-1, echoed in a response header, was a 500
    with no body (HTTP cannot carry it as text); it goes out as its UTF-8 bytes."""
    key = "echoed"
    http.put(f"{served.url}/{BUCKET}/{key}", data=b"x", timeout=30)
    response = http.request(method, f"{served.url}/{BUCKET}/{key}", params=query, timeout=30)
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if header is not None:
        assert response.status_code == 200
        sent = response.raw.headers[header]  # the bytes as received, read as Latin-1 by http.client
        assert sent.encode("latin-1").decode("utf-8") == next(iter(query.values()))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("analytics&id=a", ("NotImplemented", 501)),  # DeleteBucketAnalyticsConfiguration
        ("metrics&id=a", ("NotImplemented", 501)),
        ("inventory&id=a", ("NotImplemented", 501)),
        ("intelligent-tiering&id=a", ("NotImplemented", 501)),
        ("metadataTable", ("NotImplemented", 501)),
        ("acl", ("MethodNotAllowed", 405)),  # S3 has no DELETE for it
        ("versioning", ("MethodNotAllowed", 405)),
        ("uploadId=x", ("MethodNotAllowed", 405)),  # an object's sub-resource (found by the fuzzer)
    ],
)
def test_a_delete_of_a_bucket_sub_resource_never_deletes_the_bucket(
    served: Served, http: Any, query: str, expected: tuple[str, int]
) -> None:
    """moto ran DeleteBucket for a DELETE of any sub-resource it has no handler for: an
    empty bucket was gone after ``aws s3api delete-bucket-analytics-configuration``."""
    s3 = client(served.url)
    s3.create_bucket(Bucket="empty-and-kept")
    try:
        response = http.delete(f"{served.url}/empty-and-kept?{query}", timeout=30)
        assert error(response) == expected, response.content[:300]
        assert http.head(f"{served.url}/empty-and-kept", timeout=30).status_code == 200
    finally:
        s3.delete_bucket(Bucket="empty-and-kept")


@pytest.mark.parametrize(
    ("method", "query", "expected"),
    [
        ("DELETE", "acl", ("MethodNotAllowed", 405)),  # was a DeleteObject
        ("DELETE", "retention", ("MethodNotAllowed", 405)),
        ("DELETE", "legal-hold", ("MethodNotAllowed", 405)),
        ("GET", "retention", ("InvalidRequest", 400)),  # was the object's body: GetObjectRetention, no Object Lock
        ("GET", "torrent", ("NotImplemented", 501)),
    ],
)
def test_an_object_sub_resource_without_a_handler_never_runs_the_plain_operation(
    served: Served, http: Any, method: str, query: str, expected: tuple[str, int]
) -> None:
    before = root(served)
    response = http.request(method, f"{served.url}/{BUCKET}/sentinel?{query}", timeout=30)
    assert error(response) == expected, response.content[:300]
    assert root(served) == before
    assert http.get(f"{served.url}/{BUCKET}/sentinel", timeout=30).content == b"0123456789"
