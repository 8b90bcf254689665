"""boto3 with its default settings (checksums on), against a real server and under mock_forge."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError


def code_and_status(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_lifecycle(s3: Any) -> None:
    s3.create_bucket(Bucket="alpha")
    s3.create_bucket(Bucket="beta")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["alpha", "beta"]
    s3.head_bucket(Bucket="alpha")
    s3.put_object(Bucket="alpha", Key="k", Body=b"v")
    with pytest.raises(ClientError) as info:
        s3.delete_bucket(Bucket="alpha")
    assert code_and_status(info.value) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket="alpha", Key="k")
    s3.delete_bucket(Bucket="alpha")
    with pytest.raises(ClientError) as info:
        s3.head_bucket(Bucket="alpha")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_put_get_head_with_metadata_and_ranges(s3: Any) -> None:
    s3.create_bucket(Bucket="data")
    body = os.urandom(3 * 1024 * 1024 + 123)
    put = s3.put_object(
        Bucket="data",
        Key="dir/file.bin",
        Body=body,
        ContentType="application/x-test",
        Metadata={"owner": "alice"},
        CacheControl="max-age=60",
        ContentDisposition='attachment; filename="f.bin"',
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"].startswith("bafy")
    got = s3.get_object(Bucket="data", Key="dir/file.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"owner": "alice"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == 'attachment; filename="f.bin"'
    head = s3.head_object(Bucket="data", Key="dir/file.bin")
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    for spec, expected in [
        ("bytes=0-9", body[:10]),
        ("bytes=1048570-1048590", body[1048570:1048591]),
        ("bytes=-5", body[-5:]),
        ("bytes=3145700-", body[3145700:]),
    ]:
        part = s3.get_object(Bucket="data", Key="dir/file.bin", Range=spec)
        assert part["Body"].read() == expected
        assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="data", Key="dir/file.bin", Range=f"bytes={len(body)}-")
    assert code_and_status(info.value) == ("InvalidRange", 416)
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="data", Key="missing")
    assert code_and_status(info.value) == ("NoSuchKey", 404)


def test_conditional_reads_and_writes(s3: Any) -> None:
    s3.create_bucket(Bucket="cond")
    etag = s3.put_object(Bucket="cond", Key="k", Body=b"one", IfNoneMatch="*")["ETag"]
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket="cond", Key="k", Body=b"two", IfNoneMatch="*")
    assert code_and_status(info.value) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket="cond", Key="k", Body=b"two", IfMatch='"00000000000000000000000000000000"')
    assert code_and_status(info.value) == ("PreconditionFailed", 412)
    s3.put_object(Bucket="cond", Key="k", Body=b"two", IfMatch=etag)
    current = s3.head_object(Bucket="cond", Key="k")
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="cond", Key="k", IfNoneMatch=current["ETag"])
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="cond", Key="k", IfMatch=etag)
    assert code_and_status(info.value) == ("PreconditionFailed", 412)
    assert (
        s3.get_object(Bucket="cond", Key="k", IfModifiedSince=current["LastModified"].replace(year=2000))["Body"].read()
        == b"two"
    )


def test_listing_v1_v2_pagination(s3: Any) -> None:
    s3.create_bucket(Bucket="many")
    keys = sorted([f"logs/2024/{i:03d}.txt" for i in range(25)] + [f"img/{i}.png" for i in range(5)] + ["top"])
    for key in keys:
        s3.put_object(Bucket="many", Key=key, Body=key.encode())
    listed = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="many", PaginationConfig={"PageSize": 7})
        for o in page.get("Contents", [])
    ]
    assert listed == keys
    v1 = [
        o["Key"]
        for page in s3.get_paginator("list_objects").paginate(Bucket="many", PaginationConfig={"PageSize": 4})
        for o in page.get("Contents", [])
    ]
    assert v1 == keys
    top = s3.list_objects_v2(Bucket="many", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["img/", "logs/"]
    assert [o["Key"] for o in top["Contents"]] == ["top"]
    page = s3.list_objects_v2(Bucket="many", Prefix="logs/2024/", MaxKeys=10, StartAfter="logs/2024/004.txt")
    assert [o["Key"] for o in page["Contents"]] == [f"logs/2024/{i:03d}.txt" for i in range(5, 15)]
    assert page["IsTruncated"] is True


def test_copy_delete_many_and_tags(s3: Any) -> None:
    s3.create_bucket(Bucket="src")
    s3.create_bucket(Bucket="dst")
    s3.put_object(Bucket="src", Key="a", Body=b"payload", Metadata={"m": "1"}, Tagging="t=1")
    s3.copy_object(Bucket="dst", Key="b", CopySource={"Bucket": "src", "Key": "a"})
    copied = s3.get_object(Bucket="dst", Key="b")
    assert copied["Body"].read() == b"payload" and copied["Metadata"] == {"m": "1"}
    s3.copy_object(Bucket="dst", Key="c", CopySource="src/a", MetadataDirective="REPLACE", Metadata={"n": "2"})
    assert s3.head_object(Bucket="dst", Key="c")["Metadata"] == {"n": "2"}
    assert s3.get_object_tagging(Bucket="src", Key="a")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.put_object_tagging(Bucket="dst", Key="b", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
    assert s3.get_object_tagging(Bucket="dst", Key="b")["TagSet"] == [{"Key": "x", "Value": "y"}]
    s3.delete_object_tagging(Bucket="dst", Key="b")
    assert s3.get_object_tagging(Bucket="dst", Key="b")["TagSet"] == []
    deleted = s3.delete_objects(Bucket="dst", Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "nope"}]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["b", "c", "nope"]
    assert s3.list_objects_v2(Bucket="dst")["KeyCount"] == 0
    with pytest.raises(ClientError) as info:
        s3.copy_object(Bucket="dst", Key="z", CopySource={"Bucket": "src", "Key": "missing"})
    assert code_and_status(info.value) == ("NoSuchKey", 404)


def test_multipart_upload_and_download(s3: Any, tmp_path: Any) -> None:
    s3.create_bucket(Bucket="big")
    data = os.urandom(18 * 1024 * 1024 + 7)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_fileobj(io.BytesIO(data), "big", "blob.bin", Config=config)
    head = s3.head_object(Bucket="big", Key="blob.bin")
    assert head["ContentLength"] == len(data)
    parts = [data[i : i + 5 * 1024 * 1024] for i in range(0, len(data), 5 * 1024 * 1024)]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert head["ETag"] == f'"{expected}-{len(parts)}"'
    out = io.BytesIO()
    s3.download_fileobj("big", "blob.bin", out, Config=config)
    assert out.getvalue() == data
    second = s3.get_object(Bucket="big", Key="blob.bin", PartNumber=2)
    assert second["Body"].read() == parts[1] and second["PartsCount"] == len(parts)
    assert "PartsCount" not in head  # S3 counts parts only for a request naming a part


def test_manual_multipart_errors_and_listing(s3: Any) -> None:
    s3.create_bucket(Bucket="mpu")
    upload = s3.create_multipart_upload(Bucket="mpu", Key="obj", ContentType="text/plain", Metadata={"a": "b"})
    uid = upload["UploadId"]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="mpu")["Uploads"]] == [uid]
    p1 = s3.upload_part(Bucket="mpu", Key="obj", UploadId=uid, PartNumber=1, Body=b"a" * (5 * 1024 * 1024))
    p2 = s3.upload_part(Bucket="mpu", Key="obj", UploadId=uid, PartNumber=2, Body=b"tail")
    assert [p["PartNumber"] for p in s3.list_parts(Bucket="mpu", Key="obj", UploadId=uid)["Parts"]] == [1, 2]
    with pytest.raises(ClientError) as info:
        s3.complete_multipart_upload(
            Bucket="mpu",
            Key="obj",
            UploadId=uid,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": 1, "ETag": p1["ETag"]},
                    {"PartNumber": 2, "ETag": '"ffffffffffffffffffffffffffffffff"'},
                ]
            },
        )
    assert code_and_status(info.value) == ("InvalidPart", 400)
    done = s3.complete_multipart_upload(
        Bucket="mpu",
        Key="obj",
        UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]},
    )
    assert done["ETag"].endswith('-2"')
    obj = s3.get_object(Bucket="mpu", Key="obj")
    assert obj["ContentType"] == "text/plain" and obj["Metadata"] == {"a": "b"}
    assert obj["Body"].read() == b"a" * (5 * 1024 * 1024) + b"tail"
    with pytest.raises(ClientError) as info:
        s3.upload_part(Bucket="mpu", Key="obj", UploadId=uid, PartNumber=3, Body=b"late")
    assert code_and_status(info.value) == ("NoSuchUpload", 404)


def test_upload_part_copy(s3: Any) -> None:
    s3.create_bucket(Bucket="pcopy")
    source = os.urandom(6 * 1024 * 1024)
    s3.put_object(Bucket="pcopy", Key="src", Body=source)
    uid = s3.create_multipart_upload(Bucket="pcopy", Key="dst")["UploadId"]
    whole = s3.upload_part_copy(Bucket="pcopy", Key="dst", UploadId=uid, PartNumber=1, CopySource="pcopy/src")
    ranged = s3.upload_part_copy(
        Bucket="pcopy", Key="dst", UploadId=uid, PartNumber=2, CopySource="pcopy/src", CopySourceRange="bytes=100-199"
    )
    s3.complete_multipart_upload(
        Bucket="pcopy",
        Key="dst",
        UploadId=uid,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": whole["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": ranged["CopyPartResult"]["ETag"]},
            ]
        },
    )
    assert s3.get_object(Bucket="pcopy", Key="dst")["Body"].read() == source + source[100:200]


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA1", "SHA256", "CRC32C", "CRC64NVME"])
def test_additional_checksums_round_trip(s3: Any, algorithm: str) -> None:
    s3.create_bucket(Bucket="sums")
    put = s3.put_object(Bucket="sums", Key="k", Body=b"checksummed body", ChecksumAlgorithm=algorithm)
    value = put[f"Checksum{algorithm}"]
    got = s3.get_object(Bucket="sums", Key="k", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == value
    assert got["Body"].read() == b"checksummed body"


def test_conditional_copy_and_complete(s3: Any) -> None:
    s3.create_bucket(Bucket="condcopy")
    etag = s3.put_object(Bucket="condcopy", Key="src", Body=b"source")["ETag"]
    s3.copy_object(Bucket="condcopy", Key="a", CopySource="condcopy/src", CopySourceIfMatch=etag)
    for condition in ({"CopySourceIfMatch": '"0000"'}, {"CopySourceIfNoneMatch": etag}):
        with pytest.raises(ClientError) as info:
            s3.copy_object(Bucket="condcopy", Key="b", CopySource="condcopy/src", **condition)
        assert code_and_status(info.value) == ("PreconditionFailed", 412)
    uid = s3.create_multipart_upload(Bucket="condcopy", Key="a")["UploadId"]
    part = s3.upload_part(Bucket="condcopy", Key="a", UploadId=uid, PartNumber=1, Body=b"p")
    with pytest.raises(ClientError) as info:
        s3.complete_multipart_upload(
            Bucket="condcopy",
            Key="a",
            UploadId=uid,
            IfNoneMatch="*",
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
    assert code_and_status(info.value) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket="condcopy", Key="a")["Body"].read() == b"source"
    assert [k["Key"] for k in s3.list_objects_v2(Bucket="condcopy")["Contents"]] == ["a", "src"]


def test_user_metadata_names_are_kept_exactly(s3: Any) -> None:
    """``_`` in a metadata name survives (WSGI cannot carry it; the server passes the headers
    as sent), beside the same name with ``-``, on PutObject, CopyObject REPLACE and multipart."""
    s3.create_bucket(Bucket="meta-names")
    sent = {"my_key": "underscore", "my-key": "dash", "CamelCase": "upper"}
    s3.put_object(Bucket="meta-names", Key="k", Body=b"v", Metadata=sent)
    expected = {"my_key": "underscore", "my-key": "dash", "camelcase": "upper"}
    assert s3.head_object(Bucket="meta-names", Key="k")["Metadata"] == expected
    assert s3.get_object(Bucket="meta-names", Key="k")["Metadata"] == expected
    s3.copy_object(Bucket="meta-names", Key="copy", CopySource="meta-names/k", MetadataDirective="REPLACE",
                   Metadata={"new_one": "replaced"})  # fmt: skip
    assert s3.head_object(Bucket="meta-names", Key="copy")["Metadata"] == {"new_one": "replaced"}
    upload = s3.create_multipart_upload(Bucket="meta-names", Key="mp", Metadata={"part_of": "multipart"})
    part = s3.upload_part(Bucket="meta-names", Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
    s3.complete_multipart_upload(Bucket="meta-names", Key="mp", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})  # fmt: skip
    assert s3.head_object(Bucket="meta-names", Key="mp")["Metadata"] == {"part_of": "multipart"}
