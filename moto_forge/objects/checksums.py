"""S3's additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) as streaming hashers.

Values travel base64-encoded, as S3 shows them.  CRC32C and CRC64NVME come
from ``awscrt`` (the AWS common runtime botocore itself uses for them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Sequence

from awscrt import checksums as crt

from moto_forge.errors import InvalidArgument, InvalidRequest

ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")


class Checksum:
    """One running checksum; ``update`` with body bytes, then ``b64()``."""

    def __init__(self, algorithm: str) -> None:
        algorithm = algorithm.lower()
        if algorithm not in ALGORITHMS:
            raise InvalidArgument(
                f"Checksum algorithm {algorithm!r} is not supported", ArgumentName="ChecksumAlgorithm"
            )
        self.algorithm = algorithm
        self._crc = 0
        self._hash = hashlib.new(algorithm) if algorithm in ("sha1", "sha256") else None

    def update(self, data: bytes) -> None:
        if self._hash is not None:
            self._hash.update(data)
        elif self.algorithm == "crc32":
            self._crc = zlib.crc32(data, self._crc)
        elif self.algorithm == "crc32c":
            self._crc = crt.crc32c(data, self._crc)
        else:
            self._crc = crt.crc64nvme(data, self._crc)

    def digest(self) -> bytes:
        if self._hash is not None:
            return self._hash.digest()
        return self._crc.to_bytes(8 if self.algorithm == "crc64nvme" else 4, "big")

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


def digest_length(algorithm: str) -> int:
    return {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}[algorithm.lower()]


def valid_b64(value: str, algorithm: str) -> bool:
    """Whether ``value`` is base64 of a digest of the algorithm's length."""
    try:
        return len(base64.b64decode(value, validate=True)) == digest_length(algorithm)
    except (binascii.Error, ValueError):
        return False


CRC_ALGORITHMS = ("crc32", "crc32c", "crc64nvme")
"""The algorithms S3 allows as ``FULL_OBJECT`` checksums of a multipart upload."""
_COMBINE = {"crc32": crt.combine_crc32, "crc32c": crt.combine_crc32c, "crc64nvme": crt.combine_crc64nvme}


def default_type(algorithm: str) -> str:
    """S3's checksum type of a multipart upload that names none: ``FULL_OBJECT`` for
    CRC64NVME (it has no composite form), ``COMPOSITE`` for the rest."""
    return "FULL_OBJECT" if algorithm.lower() == "crc64nvme" else "COMPOSITE"


def composite(algorithm: str, part_values: Sequence[str]) -> str:
    """S3's ``COMPOSITE`` checksum: the algorithm over the concatenated binary part
    checksums, base64 (without the ``-N`` suffix, which S3 adds where it shows it)."""
    hasher = Checksum(algorithm)
    for value in part_values:
        hasher.update(base64.b64decode(value))
    return hasher.b64()


def full_object(algorithm: str, parts: Sequence[tuple[str, int]]) -> str:
    """S3's ``FULL_OBJECT`` checksum of a multipart body from its ``(part checksum, part
    size)`` pairs: the CRC of the whole body, combined without reading a byte again."""
    algorithm = algorithm.lower()
    if algorithm not in _COMBINE:
        raise InvalidArgument(f"{algorithm} has no full-object form", ArgumentName="ChecksumType")
    combine = _COMBINE[algorithm]
    crc: int | None = None
    for value, size in parts:
        part = int.from_bytes(base64.b64decode(value), "big")
        crc = part if crc is None else combine(crc, part, size)
    width = 8 if algorithm == "crc64nvme" else 4
    return base64.b64encode((crc or 0).to_bytes(width, "big")).decode("ascii")


def upload_checksum(algorithm: str | None, checksum_type: str | None) -> tuple[str | None, str | None]:
    """The ``(algorithm, type)`` of a new multipart upload from CreateMultipartUpload's
    ``x-amz-checksum-algorithm`` / ``x-amz-checksum-type``, checked as S3 checks them
    (``InvalidRequest`` for a type without an algorithm or a pair S3 does not offer)."""
    if not algorithm:
        if checksum_type:
            raise InvalidRequest(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
            )
        return None, None
    algorithm = Checksum(algorithm).algorithm  # InvalidArgument for an unknown one
    checksum_type = (checksum_type or default_type(algorithm)).upper()
    if checksum_type not in ("COMPOSITE", "FULL_OBJECT"):
        raise InvalidRequest(f"Value for x-amz-checksum-type header is invalid: {checksum_type[:40]!r}")
    if checksum_type == "FULL_OBJECT" and algorithm not in CRC_ALGORITHMS:
        raise InvalidRequest(f"The FULL_OBJECT checksum type cannot be used with the {algorithm} checksum algorithm.")
    if checksum_type == "COMPOSITE" and algorithm == "crc64nvme":
        raise InvalidRequest("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
    return algorithm, checksum_type
