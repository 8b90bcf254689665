"""Delegations as ucanto archives: a CAR whose root is ``{"ucan@0.9.1": Link}``,
holding the delegation and its proofs (what ``Delegation.archive`` writes and
``Delegation.extract`` reads in ``@ucanto/core``)."""

from __future__ import annotations

from moto_forge.ipld import dagcbor
from moto_forge.ipld.car import encode_car, read_variant_car
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.ucan.principal import PrincipalError
from moto_forge.ucan.ucan import UCAN, VERSION

VARIANT = f"ucan@{VERSION}"


def archive(delegation: UCAN, proofs: tuple[UCAN, ...] = ()) -> bytes:
    """The CAR bytes of ``delegation`` with ``proofs`` (proof blocks first, variant root last)."""
    variant = dagcbor.encode({VARIANT: delegation.cid})
    variant_cid = CID.compute(DAG_CBOR, variant)
    blocks = [(p.cid, p.block) for p in proofs] + [(delegation.cid, delegation.block), (variant_cid, variant)]
    return encode_car([variant_cid], blocks)


def extract(data: bytes) -> tuple[UCAN, dict[CID, UCAN]]:
    """The delegation in an archive, and every other UCAN it carries (by CID)."""
    root, link, by_cid = read_variant_car(data, VARIANT)
    if not isinstance(link, CID) or link not in by_cid:
        raise PrincipalError(f"archive root is not {{{VARIANT!r}: Link}} to a block it holds")
    others = {cid: UCAN.decode(data) for cid, data in by_cid.items() if cid not in (root, link)}
    return UCAN.decode(by_cid[link]), others
