"""CIDv1 and multihashes: the names of every block moto_forge stores.

A CID here is always version 1 with a sha2-256 or identity multihash.  Its
binary form is ``varint(1) ‖ varint(codec) ‖ varint(hash code) ‖ varint(len) ‖ digest``.
:class:`CID` instances are immutable, hashable, compare by their binary form
and render as base32 (``b...``) strings.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Final

from moto_forge.errors import BlockHashMismatchError, CIDError, CodecError
from moto_forge.ipld.multibase import b32_encode, b58_encode, multibase_decode
from moto_forge.ipld.varint import decode_uvarint, encode_uvarint

DAG_CBOR: Final = 0x71
RAW: Final = 0x55
CAR: Final = 0x0202
DAG_PB: Final = 0x70

SHA2_256: Final = 0x12
IDENTITY: Final = 0x00

CODEC_NAMES: Final = {DAG_CBOR: "dag-cbor", RAW: "raw", CAR: "car", DAG_PB: "dag-pb"}
HASH_NAMES: Final = {SHA2_256: "sha2-256", IDENTITY: "identity"}

MAX_IDENTITY_DIGEST: Final = 128
"""Identity multihashes inline their data; longer ones are refused as CIDs."""

_FAST_PREFIX = {bytes((1, DAG_CBOR, SHA2_256, 32)): DAG_CBOR, bytes((1, RAW, SHA2_256, 32)): RAW}
_PREFIX_OF = {codec: prefix for prefix, codec in _FAST_PREFIX.items()}
"""The binary prefix (version, codec, sha2-256, length) of the two codecs blocks use."""


class CID:
    """An immutable CIDv1 (``codec``, ``hash_code``, ``digest``)."""

    __slots__ = ("_bytes", "_str", "codec", "digest", "hash_code")

    _bytes: bytes
    codec: int
    hash_code: int
    digest: bytes
    _str: str | None

    def __init__(self, codec: int, hash_code: int, digest: bytes) -> None:
        if hash_code == SHA2_256 and len(digest) != 32:
            raise CIDError(f"sha2-256 digest must be 32 bytes, got {len(digest)}")
        if hash_code == IDENTITY and len(digest) > MAX_IDENTITY_DIGEST:
            raise CIDError(f"identity digest longer than {MAX_IDENTITY_DIGEST} bytes")
        if hash_code not in HASH_NAMES:
            raise CIDError(f"unsupported multihash code 0x{hash_code:x}")
        self.codec = codec
        self.hash_code = hash_code
        self.digest = bytes(digest)
        self._bytes = (
            encode_uvarint(1)
            + encode_uvarint(codec)
            + encode_uvarint(hash_code)
            + encode_uvarint(len(digest))
            + self.digest
        )
        self._str = None

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> CID:
        """Parse a binary CIDv1 that spans exactly ``data``."""
        cid, end = cls.parse(data, 0)
        if end != len(data):
            raise CIDError(f"{len(data) - end} trailing bytes after CID")
        return cid

    @classmethod
    def parse(cls, data: bytes | memoryview, pos: int) -> tuple[CID, int]:
        """Parse a binary CIDv1 starting at ``data[pos]``; return it and the end position."""
        head = bytes(data[pos : pos + 4])
        codec = _FAST_PREFIX.get(head)
        if codec is not None and len(data) >= pos + 36:
            return cls._sha256_of(codec, bytes(data[pos : pos + 36])), pos + 36
        try:
            version, p = decode_uvarint(data, pos)
            if version == 0x12:
                raise CIDError("CIDv0 is not supported; only CIDv1")
            if version != 1:
                raise CIDError(f"unsupported CID version {version}")
            codec, p = decode_uvarint(data, p)
            hash_code, p = decode_uvarint(data, p)
            length, p = decode_uvarint(data, p)
        except CIDError:
            raise
        except CodecError as exc:
            raise CIDError(f"malformed CID: {exc}") from exc
        if p + length > len(data):
            raise CIDError("truncated CID digest")
        return cls(codec, hash_code, bytes(data[p : p + length])), p + length

    @classmethod
    def decode(cls, text: str) -> CID:
        """Parse a multibase CID string (``b`` base32 or ``z`` base58btc).  Results are
        cached (CIDs are immutable values; the registry hands out the same roots often)."""
        return _decode_text(text) if cls is CID else cls._decode_uncached(text)

    @classmethod
    def _decode_uncached(cls, text: str) -> CID:
        if text.startswith("Qm"):
            raise CIDError(f"CIDv0 is not supported: {text}")
        return cls.from_bytes(multibase_decode(text))

    @classmethod
    def compute(cls, codec: int, data: bytes | memoryview) -> CID:
        """The sha2-256 CIDv1 of ``data`` under ``codec``."""
        digest = hashlib.sha256(data).digest()
        prefix = _PREFIX_OF.get(codec)
        if prefix is None or cls is not CID:
            return cls(codec, SHA2_256, digest)
        return cls._sha256_of(codec, prefix + digest)

    @classmethod
    def _sha256_of(cls, codec: int, whole: bytes) -> CID:
        """The CID whose binary form is ``whole``: one of :data:`_FAST_PREFIX` (``codec``'s)
        and a 32-byte digest, so the constructor's checks hold by construction."""
        obj = cls.__new__(cls)
        obj._bytes = whole
        obj.codec = codec
        obj.hash_code = SHA2_256
        obj.digest = whole[4:]
        obj._str = None
        return obj

    def __bytes__(self) -> bytes:
        return self._bytes

    @property
    def multihash(self) -> bytes:
        """``varint(hash code) ‖ varint(len) ‖ digest``."""
        return encode_uvarint(self.hash_code) + encode_uvarint(len(self.digest)) + self.digest

    def encode(self, base: str = "b") -> str:
        """Multibase string form (base32 by default, ``z`` for base58btc)."""
        if base == "b":
            if self._str is None:
                self._str = "b" + b32_encode(self._bytes)
            return self._str
        if base == "z":
            return "z" + b58_encode(self._bytes)
        raise CIDError(f"unsupported multibase {base!r}")

    def verify(self, data: bytes | memoryview) -> None:
        """Raise :class:`BlockHashMismatchError` unless ``data`` hashes to this CID."""
        if self.hash_code == SHA2_256:
            if hashlib.sha256(data).digest() != self.digest:
                raise BlockHashMismatchError(self)
        elif self.hash_code == IDENTITY:
            if bytes(data) != self.digest:
                raise BlockHashMismatchError(self, "identity data differs")
        else:  # pragma: no cover - the constructor refuses other hash codes
            raise BlockHashMismatchError(self, f"cannot verify hash code 0x{self.hash_code:x}")

    def __str__(self) -> str:
        return self.encode()

    def __repr__(self) -> str:
        return f"CID({self.encode()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CID) and self._bytes == other._bytes

    def __lt__(self, other: CID) -> bool:
        return self._bytes < other._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __reduce__(self) -> tuple[object, tuple[bytes]]:
        return (CID.from_bytes, (self._bytes,))


def multihash_string(cid: CID) -> str:
    """The z-base58btc multihash string Forge uses in blob URLs and claims."""
    return "z" + b58_encode(cid.multihash)


EMPTY_RAW_IDENTITY: Final = CID(RAW, IDENTITY, b"")
"""``bafkqaaa``: the raw, identity, empty placeholder CID ms3t uses."""


@functools.lru_cache(maxsize=8192)
def _decode_text(text: str) -> CID:
    return CID._decode_uncached(text)
