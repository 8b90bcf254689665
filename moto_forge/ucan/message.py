"""ucanto agent messages and receipts.

An agent message is a CAR rooted at
``{"ucanto/message@7.0.0": {execute?: [Link invocation], report?: {"<invocation CID>": Link receipt}}}``
holding every invocation, proof and receipt block.  An invocation is a UCAN
(see :mod:`moto_forge.ucan.ucan`).  A receipt block is
``{ocm: {ran: Link, out: {ok: any} | {error: any}, fx: {fork: [Link], join?: Link},
meta: map, iss?: DID string, prf: [Link]}, sig: varsig bytes}`` whose
signature covers the DAG-CBOR bytes of ``ocm``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from moto_forge.errors import DagCborError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.car import encode_car, read_variant_car
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.ipld.varint import decode_uvarint, encode_uvarint
from moto_forge.ucan.principal import EDDSA_SIGNATURE, PrincipalError, Signer, Verifier
from moto_forge.ucan.ucan import UCAN

MESSAGE_VERSION = "ucanto/message@7.0.0"


def _varsig(signature: bytes) -> bytes:
    return encode_uvarint(EDDSA_SIGNATURE) + encode_uvarint(len(signature)) + signature


def _unvarsig(raw: bytes) -> bytes:
    code, pos = decode_uvarint(raw)
    size, pos = decode_uvarint(raw, pos)
    if code != EDDSA_SIGNATURE or len(raw) != pos + size:
        raise PrincipalError(f"unsupported signature 0x{code:x}")
    return raw[pos:]


@dataclass(frozen=True)
class Receipt:
    """The signed outcome of running an invocation."""

    ran: CID
    out: dict[str, Any]
    issuer: str | None
    signature: bytes
    fork: list[CID] = field(default_factory=list)
    join: CID | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    proofs: list[CID] = field(default_factory=list)

    @property
    def ok(self) -> Any:
        return self.out.get("ok")

    @property
    def error(self) -> Any:
        return self.out.get("error")

    def outcome(self) -> dict[str, Any]:
        fx: dict[str, Any] = {"fork": list(self.fork)}
        if self.join is not None:
            fx["join"] = self.join
        outcome: dict[str, Any] = {"ran": self.ran, "out": self.out, "fx": fx, "meta": self.meta, "prf": self.proofs}
        if self.issuer is not None:
            outcome["iss"] = self.issuer
        return outcome

    @property
    def block(self) -> bytes:
        return dagcbor.encode({"ocm": self.outcome(), "sig": _varsig(self.signature)})

    @property
    def cid(self) -> CID:
        return CID.compute(DAG_CBOR, self.block)

    def verify_signature(self, verifier: Verifier | None = None) -> bool:
        """Check the signature with ``verifier`` (default: the issuer, if it is a did:key)."""
        if verifier is None:
            if self.issuer is None:
                return False
            try:
                verifier = Verifier.parse(self.issuer)
            except PrincipalError:
                return False
        return verifier.verify(dagcbor.encode(self.outcome()), self.signature)

    @classmethod
    def issue(
        cls,
        issuer: Signer,
        ran: CID,
        out: dict[str, Any],
        *,
        fork: list[CID] | None = None,
        join: CID | None = None,
        meta: dict[str, Any] | None = None,
        proofs: list[CID] | None = None,
    ) -> Receipt:
        unsigned = cls(ran, out, issuer.did, b"", list(fork or []), join, dict(meta or {}), list(proofs or []))
        signature = issuer.sign(dagcbor.encode(unsigned.outcome()))
        return cls(ran, out, issuer.did, signature, unsigned.fork, join, unsigned.meta, unsigned.proofs)

    @classmethod
    def decode(cls, block: bytes) -> Receipt:
        try:
            raw = dagcbor.decode(block)
            ocm = raw["ocm"]
            fx = ocm["fx"]
            return cls(
                ran=ocm["ran"],
                out=ocm["out"],
                issuer=ocm.get("iss"),
                signature=_unvarsig(raw["sig"]),
                fork=list(fx.get("fork", [])),
                join=fx.get("join"),
                meta=dict(ocm.get("meta") or {}),
                proofs=list(ocm.get("prf", [])),
            )
        except (DagCborError, KeyError, TypeError, AttributeError) as exc:
            raise PrincipalError(f"not a ucanto receipt: {exc}") from exc


@dataclass
class AgentMessage:
    """A decoded agent message: its invocations and receipts, and every block it carried."""

    root: CID
    invocations: list[UCAN]
    receipts: dict[CID, Receipt]
    """by the CID of the invocation each one ran"""
    blocks: dict[CID, bytes]


def encode_message(
    invocations: Sequence[tuple[UCAN, Sequence[UCAN]]] = (),
    receipts: Sequence[Receipt] = (),
    extra_blocks: Sequence[tuple[CID, bytes]] = (),
) -> tuple[CID, bytes]:
    """An agent message CAR executing ``invocations`` (each with its proofs) and reporting ``receipts``."""
    blocks: dict[CID, bytes] = {}
    for invocation, proofs in invocations:
        for proof in proofs:
            blocks[proof.cid] = proof.block
        blocks[invocation.cid] = invocation.block
    report: dict[str, CID] = {}
    for receipt in receipts:
        blocks[receipt.cid] = receipt.block
        report[str(receipt.ran)] = receipt.cid
    for cid, data in extra_blocks:
        blocks[cid] = data
    body: dict[str, Any] = {}
    if invocations:
        body["execute"] = [invocation.cid for invocation, _ in invocations]
    if report:
        body["report"] = report
    root = dagcbor.encode({MESSAGE_VERSION: body})
    root_cid = CID.compute(DAG_CBOR, root)
    return root_cid, encode_car([root_cid], [*blocks.items(), (root_cid, root)])


def decode_message(car: bytes) -> AgentMessage:
    """Read an agent message CAR (every block verified against its CID)."""
    root, body, by_cid = read_variant_car(car, MESSAGE_VERSION)
    if not isinstance(body, dict):
        raise PrincipalError(f"root is not a {MESSAGE_VERSION} message")
    invocations = [UCAN.decode(by_cid[link]) for link in body.get("execute", [])]
    receipts = {CID.decode(key): Receipt.decode(by_cid[link]) for key, link in body.get("report", {}).items()}
    return AgentMessage(root, invocations, receipts, by_cid)
