"""Multipart checksums as S3 keeps them (COMPOSITE with its -N suffix and per-part values,
FULL_OBJECT combined from the parts), GetObjectAttributes, and a repeated completion
answered as the first: set by boto3 with today's defaults, still there after a restart."""

from __future__ import annotations

import base64
import hashlib
import zlib
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import client, start_server

PARTS = [b"1" * (5 << 20), b"2" * 1024]
WHOLE = b"".join(PARTS)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def crc32(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def upload(s3: Any, key: str, parts: list[bytes] = PARTS, **create: Any) -> tuple[str, list[dict[str, Any]]]:
    upload_id = s3.create_multipart_upload(Bucket="sums", Key=key, **create)["UploadId"]
    listed = []
    for number, body in enumerate(parts, start=1):
        etag = s3.upload_part(Bucket="sums", Key=key, UploadId=upload_id, PartNumber=number, Body=body)["ETag"]
        listed.append({"ETag": etag, "PartNumber": number})
    return upload_id, listed


def write(s3: Any) -> dict[str, str]:
    s3.create_bucket(Bucket="sums")
    etags = {}
    for key, create in [
        ("composite", {"ChecksumAlgorithm": "CRC32"}),
        ("full", {"ChecksumAlgorithm": "CRC32", "ChecksumType": "FULL_OBJECT"}),
        ("sha", {"ChecksumAlgorithm": "SHA256"}),
        ("none", {}),
    ]:
        upload_id, parts = upload(s3, key, **create)
        done = s3.complete_multipart_upload(
            Bucket="sums", Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
        etags[key] = done["ETag"]
    return etags


def check(s3: Any) -> None:
    def attributes(key: str) -> dict[str, Any]:
        return dict(s3.get_object_attributes(Bucket="sums", Key=key, ObjectAttributes=["Checksum"])["Checksum"])

    composite = crc32(b"".join(zlib.crc32(p).to_bytes(4, "big") for p in PARTS))
    assert attributes("composite") == {"ChecksumCRC32": composite, "ChecksumType": "COMPOSITE"}
    got = s3.get_object(Bucket="sums", Key="composite", ChecksumMode="ENABLED")
    assert (got["ChecksumCRC32"], got["ChecksumType"]) == (f"{composite}-2", "COMPOSITE")
    assert got["Body"].read() == WHOLE
    for number, body in enumerate(PARTS, start=1):  # each part's own checksum (botocore checks it on read)
        part = s3.get_object(Bucket="sums", Key="composite", PartNumber=number, ChecksumMode="ENABLED")
        assert part["ChecksumCRC32"] == crc32(body) and part["Body"].read() == body

    assert attributes("full") == {"ChecksumCRC32": crc32(WHOLE), "ChecksumType": "FULL_OBJECT"}
    whole = s3.get_object(Bucket="sums", Key="full", ChecksumMode="ENABLED")
    assert whole["ChecksumCRC32"] == crc32(WHOLE) and whole["Body"].read() == WHOLE
    part = s3.head_object(Bucket="sums", Key="full", PartNumber=1, ChecksumMode="ENABLED")
    assert "ChecksumCRC32" not in part  # a full-object checksum does not apply to a part

    digests = b"".join(hashlib.sha256(p).digest() for p in PARTS)  # computed by the server: boto3 sent CRC32s
    assert attributes("sha") == {"ChecksumSHA256": b64(hashlib.sha256(digests).digest()), "ChecksumType": "COMPOSITE"}
    assert "Checksum" not in s3.get_object_attributes(Bucket="sums", Key="none", ObjectAttributes=["Checksum"])


def test_multipart_checksums_are_s3s_and_survive_a_restart(tmp_path: Path) -> None:
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        etags = write(s3)
        check(s3)
    finally:
        served.stop()
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        check(s3)
        assert s3.head_object(Bucket="sums", Key="composite")["ETag"] == etags["composite"]
    finally:
        served.stop()


def test_a_wrong_full_object_checksum_completes_nothing(tmp_path: Path) -> None:
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        s3.create_bucket(Bucket="sums")
        upload_id, parts = upload(s3, "full", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
        with pytest.raises(ClientError) as refused:
            s3.complete_multipart_upload(Bucket="sums", Key="full", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts}, ChecksumCRC32=crc32(b"other"))  # fmt: skip
        assert refused.value.response["Error"]["Code"] == "BadDigest"
        with pytest.raises(ClientError):
            s3.head_object(Bucket="sums", Key="full")
        done = s3.complete_multipart_upload(Bucket="sums", Key="full", UploadId=upload_id,
                                            MultipartUpload={"Parts": parts}, ChecksumCRC32=crc32(WHOLE))  # fmt: skip
        assert s3.head_object(Bucket="sums", Key="full")["ETag"] == done["ETag"]
        with pytest.raises(ClientError) as bad:
            s3.create_multipart_upload(Bucket="sums", Key="x", ChecksumAlgorithm="SHA256", ChecksumType="FULL_OBJECT")
        assert bad.value.response["Error"]["Code"] == "InvalidRequest"
    finally:
        served.stop()


def test_a_repeated_completion_answers_as_the_first_even_after_a_restart(tmp_path: Path) -> None:
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        s3.create_bucket(Bucket="sums")
        upload_id, parts = upload(s3, "again")
        args = {"Bucket": "sums", "Key": "again", "UploadId": upload_id, "MultipartUpload": {"Parts": parts}}
        first = s3.complete_multipart_upload(**args)
        assert s3.complete_multipart_upload(**args, IfNoneMatch="*")["ETag"] == first["ETag"]
    finally:
        served.stop()
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        assert s3.complete_multipart_upload(**args)["ETag"] == first["ETag"]
        other = {**args, "MultipartUpload": {"Parts": parts[:1]}}
        with pytest.raises(ClientError) as gone:
            s3.complete_multipart_upload(**other)
        assert gone.value.response["Error"]["Code"] == "NoSuchUpload"
        with pytest.raises(ClientError) as overwritten:  # a new object with If-None-Match: * is still refused
            upload_id2, parts2 = upload(s3, "again", [b"z"])
            s3.complete_multipart_upload(Bucket="sums", Key="again", UploadId=upload_id2,
                                         MultipartUpload={"Parts": parts2}, IfNoneMatch="*")  # fmt: skip
        assert overwritten.value.response["Error"]["Code"] == "PreconditionFailed"
    finally:
        served.stop()
