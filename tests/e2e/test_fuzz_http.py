"""A hypothesis-driven HTTP fuzzer against a running ``moto-forge serve``: random
methods, paths, S3 sub-resources and query values, headers (checksums, ranges,
conditions, copy sources, aws-chunked framing) and bodies (bytes, S3-shaped XML,
chunked frames), valid-but-odd ones included.

For every request: no 5xx other than 501 NotImplemented (an operation this server
refuses to serve rather than run it as another; a 503, Forge unreachable, cannot happen
here: there is no Forge), an answer within the timeout (no hang), an S3 XML error body
for every 4xx, no bucket root moved unless the request succeeded as a write, and no
bucket gone unless the request was a DeleteBucket.
The number of requests sent is printed in the test summary."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moto_forge.s3.subresources import S3_BUCKET, S3_OBJECT
from tests.e2e.conftest import Served, client, start_server

pytestmark = pytest.mark.no_forge  # its own local server: not repeated with --forge-stack=go

FUZZ_STATS: dict[str, int] = {"requests": 0, "server_errors": 0, "writes": 0}
"""Printed by tests/conftest.py's terminal summary."""

BUCKETS = ["fuzz-a", "fuzz-b"]
EMPTY = "fuzz-empty"
"""A bucket kept existing (made again when a request deleted it), empty unless a request
wrote to it: what a wrongly routed DeleteBucket would remove."""
WRITE_METHODS = {"PUT", "POST", "DELETE"}
TIMEOUT_SECONDS = 30

texts = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x2FF, exclude_categories=("Cs",)), max_size=40)
odd_numbers = st.one_of(st.integers(-5, 20_000).map(str), st.sampled_from(["", "1e3", "0x10", " 7", "99999999999999"]))
keys = st.one_of(
    st.sampled_from(["k", "sentinel", "dir/", "dir/k", "a b", "%41", "../x", "k?x", "\u00e9t\u00e9"]), texts
)
sub_resources = st.sampled_from(
    ["uploads", "uploadId", "partNumber", "list-type", "prefix", "delimiter", "max-keys", "continuation-token",
     "start-after", "marker", "encoding-type", "tagging", "acl", "versioning", "delete", "location", "forge-root",
     "x-id", "versionId", "policy", "cors", "lifecycle", "max-uploads", "part-number-marker", "max-parts",
     "analytics", "metrics", "inventory", "intelligent-tiering", "id", "metadataTable", "retention", "legal-hold",
     "renameObject", "requestPayment", "session"]
)  # fmt: skip
queries = st.dictionaries(sub_resources, st.one_of(odd_numbers, texts, st.just("")), max_size=4)
HEADER_ALPHABET = "".join(map(chr, [*range(0x21, 0x7F), *range(0xA1, 0x100)])) + " "
header_texts = st.text(alphabet=HEADER_ALPHABET, max_size=40).map(str.strip)
"""What an HTTP client can put in a header value: latin-1, no controls, no edge whitespace."""
header_values = st.one_of(
    header_texts,
    odd_numbers.map(str.strip),
    st.sampled_from(["", "*", '"abc"', "bytes=0-1", "bytes=-1", "bytes=5-2"]),
)
headers = st.dictionaries(
    st.sampled_from(
        ["Content-MD5", "x-amz-content-sha256", "x-amz-checksum-crc32", "x-amz-checksum-sha256", "Content-Type",
         "x-amz-copy-source", "x-amz-copy-source-range", "Range", "If-Match", "If-None-Match",
         "x-amz-decoded-content-length", "Content-Encoding", "x-amz-tagging", "x-amz-meta-a",
         "x-amz-metadata-directive", "x-amz-tagging-directive", "x-amz-trailer", "x-forge-root",
         "x-amz-sdk-checksum-algorithm", "Expect", "x-amz-acl", "x-amz-grant-read", "x-amz-write-offset-bytes",
         "x-amz-if-match-size"]
    ),
    header_values,
    max_size=4,
)  # fmt: skip
xml_bodies = st.one_of(
    st.builds(lambda ks: "<Delete>" + "".join(f"<Object><Key>{k}</Key></Object>" for k in ks) + "</Delete>",
              st.lists(st.sampled_from(["k", "sentinel", "", "&amp;"]), max_size=3)),
    st.builds(lambda ps: "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in ps) + "</CompleteMultipartUpload>",
        st.lists(st.tuples(odd_numbers, texts), max_size=3)),
    st.builds(lambda kv: "<Tagging><TagSet>" + "".join(
        f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in kv) + "</TagSet></Tagging>",
        st.lists(st.tuples(texts, texts), max_size=3)),
    st.sampled_from(["<", "<a>", "<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "\x00\xff"]),
).map(lambda text: text.encode("utf-8", "surrogatepass"))  # fmt: skip
chunked_bodies = st.lists(st.binary(max_size=40), max_size=3).map(
    lambda chunks: (
        b"".join(f"{len(c):x};chunk-signature=00\r\n".encode() + c + b"\r\n" for c in chunks)
        + b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    )
)
bodies = st.one_of(st.binary(max_size=300), xml_bodies, chunked_bodies)
requests_ = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"]),
        "bucket": st.one_of(st.sampled_from([*BUCKETS, EMPTY, "fuzz-new", "Bad_Name", "ab", ""]), texts),
        "key": st.one_of(st.none(), keys),
        "query": queries,
        "headers": headers,
        "body": bodies,
    }
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, requests.Session]]:
    server = start_server(str(tmp_path_factory.mktemp("fuzz")))
    s3: Any = client(server.url)
    for bucket in BUCKETS:
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="sentinel", Body=b"never changed by a failed request")
    session = requests.Session()
    yield server, session
    session.close()
    server.stop()


def roots(server: Served) -> dict[str, str]:
    """Every bucket's root, straight from the registry (read-only)."""
    db = sqlite3.connect(f"file:{Path(server.data_dir, 'registry.sqlite3')}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT name, root FROM bucket").fetchall())
    finally:
        db.close()


def error_code(response: requests.Response) -> str | None:
    """The S3 error code of a response's XML body (``None``: none)."""
    try:
        return ET.fromstring(response.content).findtext("Code")
    except ET.ParseError:
        return None


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests_)
def test_no_request_breaks_the_server_or_the_data(fuzzed: tuple[Served, requests.Session], request: Any) -> None:
    server, session = fuzzed
    path = "/" + requests.utils.quote(request["bucket"], safe="")
    if request["key"] is not None:
        path += "/" + requests.utils.quote(request["key"], safe="/")
    before = roots(server)
    if EMPTY not in before:
        client(server.url).create_bucket(Bucket=EMPTY)
        before = roots(server)
    FUZZ_STATS["requests"] += 1
    try:
        response = session.request(
            request["method"], server.url + path, params=request["query"], headers=request["headers"],
            data=request["body"], timeout=TIMEOUT_SECONDS, allow_redirects=False,
        )  # fmt: skip
    except requests.exceptions.ConnectionError:
        # A request the HTTP layer itself refuses (a header value it cannot carry) may be
        # closed without an answer; the server must still be up and the data unchanged.
        response = None
    refused = (  # a HEAD answer has no body to name its code
        response is not None
        and response.status_code == 501
        and (request["method"] == "HEAD" or error_code(response) == "NotImplemented")
    )
    if response is not None and response.status_code >= 500 and not refused:
        FUZZ_STATS["server_errors"] += 1
    assert response is None or response.status_code < 500 or refused, (
        request, response.status_code, response.content[:500])  # fmt: skip
    if response is not None and response.status_code >= 400 and request["method"] != "HEAD" and response.content:
        assert ET.fromstring(response.content).findtext("Code"), response.content[:300]
    after = roots(server)
    succeeded_write = response is not None and response.status_code < 300 and request["method"] in WRITE_METHODS
    if succeeded_write:
        FUZZ_STATS["writes"] += 1
    else:
        assert after == before, (request, response.status_code if response is not None else None)
    # A bucket goes only by a DeleteBucket: a DELETE of that bucket naming no S3 sub-resource
    # (moto deleted a bucket for a DELETE of any sub-resource it had no handler for).
    gone = set(before) - set(after)
    delete_bucket = (
        request["method"] == "DELETE"
        and not request["key"]  # "" names the bucket too: its path ends in "/"
        and not set(request["query"]) & (set(S3_BUCKET) | set(S3_OBJECT))
    )
    assert not gone or (delete_bucket and gone == {request["bucket"]}), (request, gone)
    # Still serving, asked on a new connection (whether the fuzzed request's own connection
    # may be kept alive is not what this checks). An unsigned HEAD may be refused (403) once
    # the fuzzer has set a private ACL or a denying policy on the sentinel: moto's rule for
    # unsigned requests, kept here.
    alive = requests.head(f"{server.url}/{BUCKETS[0]}/sentinel", timeout=TIMEOUT_SECONDS).status_code
    assert alive in (200, 403, 404)
