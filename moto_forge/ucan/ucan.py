"""UCAN 0.9.1 in ucanto's IPLD form (``@ipld/dag-ucan``): issue, encode, decode, verify.

Block (DAG-CBOR)::

    {v: "0.9.1", iss: DID bytes, aud: DID bytes, s: varsig bytes,
     att: [{with: string, can: string, nb?: any}], prf: [Link],
     exp: int | null, fct?: [map] (only if non-empty), nnc?: string (only if set),
     nbf?: int (only if set)}

The signature covers the JWT form of the same UCAN:
``base64url(dagjson({alg: "EdDSA", typ: "JWT", ucv: v})) + "." +
base64url(dagjson({iss: did, aud: did, att, exp, prf: [cid strings], fct?, nnc?, nbf?}))``
where ``s`` = ``varint(0xd0ed) ‖ varint(64) ‖ signature``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from moto_forge.errors import DagCborError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.ipld.varint import decode_uvarint, encode_uvarint
from moto_forge.ucan import dagjson
from moto_forge.ucan.principal import EDDSA_SIGNATURE, PrincipalError, Signer, Verifier, did_from_bytes, did_to_bytes

VERSION = "0.9.1"
NON_STANDARD_SIGNATURE = 0xD000
"""ucanto's varsig code for a signature no key can check (a ``did:mailto`` account's)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Capability:
    with_: str
    can: str
    nb: dict[str, Any] | None = None

    def to_ipld(self) -> dict[str, Any]:
        out: dict[str, Any] = {"with": self.with_, "can": self.can}
        if self.nb is not None:
            out["nb"] = self.nb
        return out

    @classmethod
    def from_ipld(cls, raw: Any) -> Capability:
        if not isinstance(raw, dict) or not isinstance(raw.get("with"), str) or not isinstance(raw.get("can"), str):
            raise PrincipalError("capability must be {with: string, can: string, nb?}")
        return cls(raw["with"], raw["can"], raw.get("nb"))


@dataclass(frozen=True)
class UCAN:
    """A signed UCAN; ``cid`` and ``block`` are its DAG-CBOR encoding."""

    issuer: str
    audience: str
    capabilities: list[Capability]
    expiration: int | None
    signature: bytes
    proofs: list[CID] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    nonce: str | None = None
    not_before: int | None = None
    version: str = VERSION
    signature_code: int = EDDSA_SIGNATURE
    """The varsig algorithm of ``signature``: EdDSA, or ucanto's non-standard one that
    ``did:mailto`` accounts "sign" with (an empty signature; a ``ucan/attest`` from the
    service vouches for such a delegation instead)."""
    signature_name: bytes = b""
    """A non-standard signature's trailing algorithm name (empty for an account's)."""
    raw: bytes | None = field(default=None, compare=False, repr=False)
    """The block exactly as decoded (so a proof passed on keeps its CID whatever its encoder)."""

    def payload(self) -> bytes:
        """The bytes the signature covers (the JWT header and payload)."""
        header = dagjson.encode({"alg": "EdDSA", "ucv": self.version, "typ": "JWT"})
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "att": [c.to_ipld() for c in self.capabilities],
            "exp": self.expiration,
            "prf": [str(p) for p in self.proofs],
        }
        if self.facts:
            body["fct"] = self.facts
        if self.nonce:
            body["nnc"] = self.nonce
        if self.not_before:
            body["nbf"] = self.not_before
        return f"{_b64url(header)}.{_b64url(dagjson.encode(body))}".encode("ascii")

    def to_ipld(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v": self.version,
            "iss": did_to_bytes(self.issuer),
            "aud": did_to_bytes(self.audience),
            "s": encode_uvarint(self.signature_code)
            + encode_uvarint(len(self.signature))
            + self.signature
            + self.signature_name,
            "att": [c.to_ipld() for c in self.capabilities],
            "prf": list(self.proofs),
            "exp": self.expiration,
        }
        if self.facts:
            out["fct"] = self.facts
        if self.nonce is not None:
            out["nnc"] = self.nonce
        if self.not_before:
            out["nbf"] = self.not_before
        return out

    @property
    def block(self) -> bytes:
        return self.raw if self.raw is not None else dagcbor.encode(self.to_ipld())

    @property
    def cid(self) -> CID:
        return CID.compute(DAG_CBOR, self.block)

    def verify_signature(self) -> bool:
        """Whether the issuer (an ed25519 did:key) signed exactly this UCAN."""
        if self.signature_code != EDDSA_SIGNATURE:
            return False
        try:
            verifier = Verifier.parse(self.issuer)
        except PrincipalError:
            return False
        return verifier.verify(self.payload(), self.signature)

    @classmethod
    def issue(
        cls,
        issuer: Signer,
        audience: str,
        capabilities: list[Capability],
        expiration: int | None,
        *,
        proofs: list[CID] | None = None,
        facts: list[dict[str, Any]] | None = None,
        nonce: str | None = None,
        not_before: int | None = None,
    ) -> UCAN:
        unsigned = cls(
            issuer.did,
            audience,
            list(capabilities),
            expiration,
            b"",
            list(proofs or []),
            list(facts or []),
            nonce,
            not_before,
        )
        signature = issuer.sign(unsigned.payload())
        return cls(
            issuer.did,
            audience,
            list(capabilities),
            expiration,
            signature,
            list(proofs or []),
            list(facts or []),
            nonce,
            not_before,
        )

    @classmethod
    def decode(cls, block: bytes) -> UCAN:
        try:
            raw = dagcbor.decode(block)
        except DagCborError as exc:
            raise PrincipalError(f"UCAN block is not DAG-CBOR: {exc}") from exc
        try:
            sig = raw["s"]
            code, pos = decode_uvarint(sig)
            size, pos = decode_uvarint(sig, pos)
            exact = code == EDDSA_SIGNATURE and len(sig) == pos + size
            if not (exact or (code == NON_STANDARD_SIGNATURE and len(sig) >= pos + size)):
                raise PrincipalError(f"unsupported signature algorithm 0x{code:x}")
            return cls(
                issuer=did_from_bytes(raw["iss"]),
                audience=did_from_bytes(raw["aud"]),
                capabilities=[Capability.from_ipld(c) for c in raw["att"]],
                expiration=raw["exp"],
                signature=sig[pos : pos + size],
                proofs=list(raw.get("prf", [])),
                facts=list(raw.get("fct", [])),
                nonce=raw.get("nnc"),
                not_before=raw.get("nbf"),
                version=raw["v"],
                signature_code=code,
                signature_name=sig[pos + size :],
                raw=block,
            )
        except (KeyError, TypeError) as exc:
            raise PrincipalError(f"UCAN block lacks or mistypes a field: {exc}") from exc
