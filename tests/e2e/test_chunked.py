"""aws-chunked uploads with trailing checksums, as SDKs send them over HTTPS, sent raw."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import requests

from tests.e2e.conftest import Served, client, empty_everything


def chunked(data: bytes, sizes: list[int], trailer: str) -> bytes:
    out, pos = b"", 0
    for size in sizes:
        out += f"{size:x}\r\n".encode() + data[pos : pos + size] + b"\r\n"
        pos += size
    return out + b"0\r\n" + trailer.encode() + b"\r\n\r\n"


def test_unsigned_payload_with_crc32_trailer(served: Served) -> None:
    s3: Any = client(served.url)
    s3.create_bucket(Bucket="chunky")
    try:
        data = bytes(range(256)) * 300
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        headers = {
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
            "x-amz-trailer": "x-amz-checksum-crc32",
        }
        body = chunked(data, [65536, len(data) - 65536], f"x-amz-checksum-crc32:{crc}")
        ok = requests.put(f"{served.url}/chunky/obj", data=body, headers=headers, timeout=30)
        assert ok.status_code == 200, ok.content
        assert ok.headers["x-amz-checksum-crc32"] == crc
        got = s3.get_object(Bucket="chunky", Key="obj", ChecksumMode="ENABLED")
        assert got["Body"].read() == data and got["ChecksumCRC32"] == crc
        assert "ContentEncoding" not in got  # aws-chunked is transport framing, not stored

        bad = chunked(data, [len(data)], "x-amz-checksum-crc32:AAAAAA==")
        refused = requests.put(f"{served.url}/chunky/obj2", data=bad, headers=headers, timeout=30)
        assert refused.status_code == 400 and b"BadDigest" in refused.content
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="chunky")["Contents"]] == ["obj"]
    finally:
        empty_everything(s3)
