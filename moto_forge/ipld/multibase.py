"""The two multibase string forms moto_forge reads and writes.

``b`` = RFC 4648 base32, lower case, no padding (the default CIDv1 form);
``z`` = base58btc (multihash and did:key strings).
"""

from __future__ import annotations

import base64
import binascii

from moto_forge.errors import CIDError

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


def b32_encode(data: bytes) -> str:
    """Base32 lower case without padding (no multibase prefix)."""
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def b32_decode(text: str) -> bytes:
    """Inverse of :func:`b32_encode`; raises :class:`CIDError` on bad input."""
    if text != text.lower():
        raise CIDError(f"base32 text must be lower case: {text[:80]!r}")
    padded = text.upper() + "=" * (-len(text) % 8)
    try:
        return base64.b32decode(padded)
    except (binascii.Error, ValueError) as exc:
        raise CIDError(f"invalid base32 text {text[:80]!r}") from exc


def b58_encode(data: bytes) -> str:
    """Bitcoin base58 (no multibase prefix)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58_decode(text: str) -> bytes:
    """Inverse of :func:`b58_encode`; raises :class:`CIDError` on bad input."""
    num = 0
    try:
        for ch in text:
            num = num * 58 + _B58_INDEX[ch]
    except KeyError as exc:
        raise CIDError(f"invalid base58btc character in {text[:80]!r}") from exc
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes, base: str = "b") -> str:
    """Multibase string of ``data`` with prefix ``b`` (base32) or ``z`` (base58btc)."""
    if base == "b":
        return "b" + b32_encode(data)
    if base == "z":
        return "z" + b58_encode(data)
    raise CIDError(f"unsupported multibase {base!r}")


def multibase_decode(text: str) -> bytes:
    """Decode a ``b`` or ``z`` multibase string."""
    if not text:
        raise CIDError("empty multibase string")
    prefix, rest = text[0], text[1:]
    if prefix == "b":
        return b32_decode(rest)
    if prefix == "z":
        return b58_decode(rest)
    raise CIDError(f"unsupported multibase prefix {prefix!r} in {text[:80]!r}")
