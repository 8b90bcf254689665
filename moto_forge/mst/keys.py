"""MST keys: validation, layers and shared prefixes.

An S3 key is any UTF-8 string of 1..1024 bytes.  atproto restricts MST keys
to ``collection/rkey``; moto_forge relaxes that check but keeps the byte
layout, so for ASCII keys the tree equals atproto's.
"""

from __future__ import annotations

import hashlib

from moto_forge.errors import InvalidKeyError

MAX_KEY_BYTES = 1024
"""S3's limit on a key's UTF-8 length."""


def key_bytes(key: str | bytes) -> bytes:
    """The UTF-8 bytes of ``key``; raise :class:`InvalidKeyError` unless 1..1024 bytes of UTF-8."""
    if isinstance(key, str):
        try:
            raw = key.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidKeyError(key, "not encodable as UTF-8") from exc
    else:
        raw = bytes(key)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidKeyError(raw, "not valid UTF-8") from exc
    if not raw:
        raise InvalidKeyError(raw, "empty")
    if len(raw) > MAX_KEY_BYTES:
        raise InvalidKeyError(raw, f"{len(raw)} bytes, more than {MAX_KEY_BYTES}")
    return raw


def key_layer(key: bytes) -> int:
    """atproto layer of ``key``: leading zero bits of SHA-256(key), halved (fanout 4)."""
    digest = hashlib.sha256(key).digest()
    value = int.from_bytes(digest, "big")
    return (256 - value.bit_length()) // 2


def common_prefix_len(a: bytes, b: bytes) -> int:
    """Number of leading bytes ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
