"""UCAN, receipt, agent-message and delegation-archive decoders: whatever bytes arrive
(from a Forge service or a file), only a CodecError (malformed) or a BlockError (a block of
a CAR that does not match its CID) escapes, never another exception."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moto_forge.errors import BlockError, CodecError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.varint import encode_uvarint
from moto_forge.ucan.archive import archive, extract
from moto_forge.ucan.message import Receipt, decode_message
from moto_forge.ucan.principal import DID_CORE, ED25519_PUB, Signer
from moto_forge.ucan.ucan import EDDSA_SIGNATURE, UCAN, Capability

ISSUER, AUDIENCE = Signer.generate(), Signer.generate()
DELEGATION = UCAN.issue(ISSUER, AUDIENCE.did, [Capability(ISSUER.did, "store/*")], None)
VALID_ARCHIVE = archive(DELEGATION)

ipld = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=20) | st.binary(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
UCAN_FIELDS = ["v", "iss", "aud", "s", "att", "exp", "prf", "fct", "nnc", "nbf"]
RECEIPT_FIELDS = ["ocm", "sig"]


def only_codec_errors(decode: Callable[[bytes], Any], data: bytes) -> None:
    with contextlib.suppress(CodecError, BlockError):
        decode(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    for decode in (UCAN.decode, Receipt.decode, decode_message, extract):
        only_codec_errors(decode, data)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(UCAN_FIELDS + RECEIPT_FIELDS), ipld, max_size=10))
def test_well_formed_dag_cbor_with_wrong_fields(fields: dict[str, Any]) -> None:
    """Valid DAG-CBOR that looks like a UCAN or a receipt but holds anything at all."""
    block = dagcbor.encode(fields)
    only_codec_errors(UCAN.decode, block)
    only_codec_errors(Receipt.decode, block)


dids = st.one_of(
    st.binary(max_size=40).map(lambda rest: encode_uvarint(DID_CORE) + rest),
    st.binary(min_size=32, max_size=32).map(lambda key: encode_uvarint(ED25519_PUB) + key),
    st.binary(max_size=8),
)
signatures = st.binary(max_size=70).map(lambda sig: encode_uvarint(EDDSA_SIGNATURE) + encode_uvarint(len(sig)) + sig)
capabilities = st.lists(st.fixed_dictionaries({}, optional={"with": ipld, "can": ipld, "nb": ipld}) | ipld, max_size=3)


@settings(max_examples=500, deadline=None)
@given(
    st.fixed_dictionaries(
        {"s": signatures, "iss": dids, "aud": dids},
        optional={"att": capabilities, "exp": ipld, "v": ipld, "prf": ipld, "fct": ipld, "nnc": ipld, "nbf": ipld},
    )
)
def test_nearly_valid_ucans(fields: dict[str, Any]) -> None:
    """Signature and DIDs shaped right, everything else anything: still only a CodecError."""
    only_codec_errors(UCAN.decode, dagcbor.encode(fields))


def test_a_did_that_is_not_utf8_is_a_codec_error() -> None:
    fields = {"s": encode_uvarint(EDDSA_SIGNATURE) + b"\x02ab", "iss": encode_uvarint(DID_CORE) + b"\xff",
              "aud": b"", "att": [], "exp": 1, "v": "0.9.1"}  # fmt: skip
    with pytest.raises(CodecError, match="UTF-8"):
        UCAN.decode(dagcbor.encode(fields))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID_ARCHIVE) - 1), st.integers(1, 255))
def test_a_delegation_archive_with_one_byte_changed(position: int, flip: int) -> None:
    damaged = bytearray(VALID_ARCHIVE)
    damaged[position] ^= flip
    only_codec_errors(extract, bytes(damaged))


def test_the_valid_archive_reads_back() -> None:
    delegation, _ = extract(VALID_ARCHIVE)
    assert delegation.cid == DELEGATION.cid
