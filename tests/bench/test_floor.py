"""The bench's floor endpoint answers boto3 as S3 would: its figures bound every
server only if the work it skips is work no client notices."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bench import floor


def test_hash_body_returns_every_byte_and_its_md5_across_chunks() -> None:
    body = os.urandom(3 * floor.CHUNK + 12345)
    pieces, etag = floor.hash_body(io.BytesIO(body).read, len(body))
    assert b"".join(pieces) == body
    assert len(pieces) == 4
    assert etag == hashlib.md5(body).hexdigest()


def test_hash_body_of_a_body_under_one_chunk() -> None:
    pieces, etag = floor.hash_body(io.BytesIO(b"abc").read, 3)
    assert pieces == [b"abc"]
    assert etag == hashlib.md5(b"abc").hexdigest()


def _bucket(keys: list[str]) -> floor.Bucket:
    bucket = floor.Bucket()
    for key in keys:
        bucket.objects[key] = floor.Stored([b""], "e", 0.0, f"<Contents><Key>{key}</Key></Contents>")
    return bucket


def test_list_page_follows_prefix_start_after_and_continuation() -> None:
    bucket = _bucket([f"a/{i:03d}" for i in range(5)] + ["b/1", "b/2"])
    first = floor.list_page("bkt", bucket, {"prefix": ["a/"], "max-keys": ["3"]}).decode()
    assert "<KeyCount>3</KeyCount>" in first and "<IsTruncated>true</IsTruncated>" in first
    assert "<Key>a/002</Key>" in first and "a/003" not in first
    token = first.split("<NextContinuationToken>")[1].split("<")[0]
    rest = floor.list_page("bkt", bucket, {"prefix": ["a/"], "continuation-token": [token]}).decode()
    assert "<Key>a/003</Key><" in rest and "<Key>a/004</Key>" in rest and "b/1" not in rest
    assert "<IsTruncated>false</IsTruncated>" in rest
    after = floor.list_page("bkt", bucket, {"start-after": ["a/004"]}).decode()
    assert "<KeyCount>2</KeyCount>" in after and "<Key>b/1</Key>" in after


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), floor.FloorHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = Config(request_checksum_calculation="when_required", response_checksum_validation="when_required")
    yield boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{server.server_port}",
        aws_access_key_id="floor",
        aws_secret_access_key="floor",
        region_name="us-east-1",
        config=config,
    )
    server.shutdown()
    server.server_close()


def test_boto3_puts_gets_and_pages_through_the_floor(s3: Any) -> None:
    s3.create_bucket(Bucket="floor-test")
    body = os.urandom(2 * floor.CHUNK + 7)
    put = s3.put_object(Bucket="floor-test", Key="big", Body=body)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert s3.get_object(Bucket="floor-test", Key="big")["Body"].read() == body
    keys = [f"k/{i:05d}" for i in range(2100)]
    for key in reversed(keys):
        s3.put_object(Bucket="floor-test", Key=key, Body=b"x")
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="floor-test", Prefix="k/"))
    assert len(pages) == 3
    assert [o["Key"] for page in pages for o in page["Contents"]] == keys
    assert {o["Size"] for page in pages for o in page["Contents"]} == {1}
