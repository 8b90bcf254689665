"""Principals: ed25519 ``did:key`` signers and verifiers, and ``did:web`` names.

Binary forms (as ucanto and go-ucanto use them):

* a DID inside a UCAN: ``varint(0xed) ‖ 32-byte public key`` for ed25519
  ``did:key``; ``varint(0x0d1d) ‖ utf8(text after "did:")`` for any other DID;
* ``did:key:z<base58btc(varint(0xed) ‖ public key)>``;
* a signer's archive: multibase base64pad (``M``) of
  ``varint(0x1300) ‖ 32-byte seed ‖ varint(0xed) ‖ 32-byte public key``.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from moto_forge.errors import CodecError
from moto_forge.ipld.multibase import b58_decode, b58_encode
from moto_forge.ipld.varint import decode_uvarint, encode_uvarint

ED25519_PUB = 0xED
ED25519_PRIV = 0x1300
DID_CORE = 0x0D1D
EDDSA_SIGNATURE = 0xD0ED
"""varsig code ucanto writes in front of an ed25519 signature."""


class PrincipalError(CodecError):
    """A DID, key or signature that cannot be parsed or does not verify."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Any DID (``did:key``, ``did:web``, ``did:mailto``), by its string form."""

    did: str

    def to_bytes(self) -> bytes:
        return did_to_bytes(self.did)


def did_to_bytes(did: str) -> bytes:
    """The binary DID ucanto puts in ``iss`` / ``aud``."""
    if did.startswith("did:key:z"):
        raw = b58_decode(did[len("did:key:z") :])
        code, _ = decode_uvarint(raw)
        if code != ED25519_PUB:
            raise PrincipalError(f"unsupported did:key type 0x{code:x} in {did}")
        return raw
    if not did.startswith("did:"):
        raise PrincipalError(f"not a DID: {did!r}")
    return encode_uvarint(DID_CORE) + did[len("did:") :].encode("utf-8")


def did_from_bytes(raw: bytes) -> str:
    code, pos = decode_uvarint(raw)
    if code == ED25519_PUB:
        if len(raw) - pos != 32:
            raise PrincipalError("ed25519 did:key must carry 32 bytes of public key")
        return "did:key:z" + b58_encode(raw)
    if code == DID_CORE:
        try:
            return "did:" + raw[pos:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PrincipalError(f"a DID's method-specific part is not UTF-8: {exc}") from exc
    raise PrincipalError(f"unsupported DID multicodec 0x{code:x}")


class Verifier:
    """An ed25519 public key named by its ``did:key``."""

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise PrincipalError("ed25519 public keys are 32 bytes")
        self.public_key = public_key
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def parse(cls, did: str) -> Verifier:
        raw = did_to_bytes(did)
        code, pos = decode_uvarint(raw)
        if code != ED25519_PUB:
            raise PrincipalError(f"{did} is not an ed25519 did:key")
        return cls(raw[pos:])

    @property
    def did(self) -> str:
        return "did:key:z" + b58_encode(encode_uvarint(ED25519_PUB) + self.public_key)

    def verify(self, payload: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, payload)
        except InvalidSignature:
            return False
        return True


class Signer(Verifier):
    """An ed25519 private key (its 32-byte seed) that signs as its ``did:key``."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise PrincipalError("ed25519 seeds are 32 bytes")
        self.seed = bytes(seed)
        self._private = Ed25519PrivateKey.from_private_bytes(self.seed)
        public = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        super().__init__(public)

    @classmethod
    def generate(cls) -> Signer:
        return cls(os.urandom(32))

    def sign(self, payload: bytes) -> bytes:
        return self._private.sign(payload)

    def encode(self) -> str:
        """go-ucanto's / ucanto's signer string (multibase base64pad ``M...``)."""
        raw = encode_uvarint(ED25519_PRIV) + self.seed + encode_uvarint(ED25519_PUB) + self.public_key
        return "M" + base64.b64encode(raw).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> Signer:
        text = text.strip()
        if not text.startswith("M"):
            raise PrincipalError("a signer string starts with M (multibase base64pad)")
        try:
            raw = base64.b64decode(text[1:], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PrincipalError("signer string is not base64") from exc
        code, pos = decode_uvarint(raw)
        if code != ED25519_PRIV or len(raw) != pos + 32 + 2 + 32:
            raise PrincipalError("not an ed25519 signer")
        signer = cls(raw[pos : pos + 32])
        if raw[pos + 32 :] != encode_uvarint(ED25519_PUB) + signer.public_key:
            raise PrincipalError("signer's public key does not match its seed")
        return signer
