"""S3's additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) as streaming hashers.

Values travel base64-encoded, as S3 shows them.  CRC32C and CRC64NVME come
from ``awscrt`` (the AWS common runtime botocore itself uses for them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib

from awscrt import checksums as crt

from moto_forge.errors import InvalidArgument

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
