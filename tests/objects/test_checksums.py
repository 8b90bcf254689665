"""S3's additional checksums, and the multipart forms built from part checksums
(moto_forge/objects/checksums.py), against values computed over the whole bytes."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from awscrt import checksums as crt

from moto_forge.errors import InvalidArgument, InvalidRequest
from moto_forge.objects.checksums import Checksum, composite, default_type, full_object, upload_checksum

PARTS = [b"0" * 1000, b"1" * 7, b"xyz" * 333]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def part_value(algorithm: str, data: bytes) -> str:
    hasher = Checksum(algorithm)
    hasher.update(data)
    return hasher.b64()


@pytest.mark.parametrize(
    ("algorithm", "whole"),
    [
        ("crc32", lambda d: zlib.crc32(d).to_bytes(4, "big")),
        ("crc32c", lambda d: crt.crc32c(d).to_bytes(4, "big")),
        ("crc64nvme", lambda d: crt.crc64nvme(d).to_bytes(8, "big")),
    ],
)
def test_full_object_checksum_equals_the_crc_of_the_whole_body(algorithm: str, whole: object) -> None:
    values = [(part_value(algorithm, p), len(p)) for p in PARTS]
    assert full_object(algorithm, values) == b64(whole(b"".join(PARTS)))  # type: ignore[operator]


def test_full_object_is_refused_for_a_hash() -> None:
    with pytest.raises(InvalidArgument):
        full_object("sha256", [(part_value("sha256", b"a"), 1)])


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_composite_is_the_hash_of_the_part_digests(algorithm: str) -> None:
    digests = b"".join(hashlib.new(algorithm, p).digest() for p in PARTS)
    expected = b64(hashlib.new(algorithm, digests).digest())
    assert composite(algorithm, [part_value(algorithm, p) for p in PARTS]) == expected


def test_composite_matches_s3s_published_value() -> None:
    # moto's test (checked against AWS): two 256-byte parts of "0" and "1", CRC32
    assert composite("crc32", ["iInetw==", "5C3cKQ=="]) == "dBZW3w=="


def test_upload_checksum_defaults_and_refusals() -> None:
    assert upload_checksum(None, None) == (None, None)
    assert upload_checksum("CRC32", None) == ("crc32", "COMPOSITE")
    assert upload_checksum("CRC64NVME", None) == ("crc64nvme", "FULL_OBJECT")
    assert upload_checksum("crc32c", "full_object") == ("crc32c", "FULL_OBJECT")
    assert default_type("sha1") == "COMPOSITE"
    for algorithm, checksum_type in [("sha256", "FULL_OBJECT"), ("crc64nvme", "COMPOSITE"), (None, "COMPOSITE"),
                                     ("crc32", "WHOLE")]:  # fmt: skip
        with pytest.raises(InvalidRequest):
            upload_checksum(algorithm, checksum_type)
    with pytest.raises(InvalidArgument):
        upload_checksum("md5", None)
