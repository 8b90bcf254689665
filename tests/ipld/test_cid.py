import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moto_forge.errors import BlockHashMismatchError, CIDError
from moto_forge.ipld.cid import CAR, CID, DAG_CBOR, EMPTY_RAW_IDENTITY, IDENTITY, RAW, SHA2_256, multihash_string
from moto_forge.ipld.multibase import b58_decode, b58_encode, multibase_decode


@given(st.sampled_from([RAW, DAG_CBOR, CAR]), st.binary(max_size=200))
def test_string_and_binary_round_trip(codec: int, data: bytes) -> None:
    cid = CID.compute(codec, data)
    assert CID.decode(str(cid)) == cid
    assert CID.decode(cid.encode("z")) == cid
    assert CID.from_bytes(bytes(cid)) == cid
    assert hash(CID.from_bytes(bytes(cid))) == hash(cid)
    cid.verify(data)


@given(st.sampled_from([RAW, DAG_CBOR, CAR]), st.binary(max_size=200))
def test_compute_equals_the_checked_constructor(codec: int, data: bytes) -> None:
    """``compute`` builds RAW and DAG-CBOR CIDs without the constructor: the same value."""
    cid = CID.compute(codec, data)
    built = CID(codec, SHA2_256, hashlib.sha256(data).digest())
    assert (bytes(cid), cid.codec, cid.hash_code, cid.digest, str(cid)) == (
        bytes(built),
        built.codec,
        built.hash_code,
        built.digest,
        str(built),
    )
    assert cid == built and hash(cid) == hash(built)


def test_car_codec_uses_two_byte_varint() -> None:
    cid = CID.compute(CAR, b"x")
    assert bytes(cid)[:3] == b"\x01\x82\x04"
    assert str(cid).startswith("bagbaiera")


def test_identity_placeholder_is_bafkqaaa() -> None:
    assert str(EMPTY_RAW_IDENTITY) == "bafkqaaa"
    assert EMPTY_RAW_IDENTITY.hash_code == IDENTITY
    EMPTY_RAW_IDENTITY.verify(b"")
    with pytest.raises(BlockHashMismatchError):
        EMPTY_RAW_IDENTITY.verify(b"x")


def test_verify_names_the_cid() -> None:
    cid = CID.compute(RAW, b"hello")
    with pytest.raises(BlockHashMismatchError) as info:
        cid.verify(b"hellO")
    assert info.value.cid == cid
    assert str(cid) in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",  # CIDv0
        "Bafkqaaa",  # upper-case multibase prefix we do not accept
        "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4ye",  # truncated digest
        "z0OIl",  # invalid base58 characters
        "mAXESIA",  # unsupported multibase
    ],
)
def test_rejects_bad_strings(text: str) -> None:
    with pytest.raises(CIDError):
        CID.decode(text)


def test_rejects_unknown_hash_and_wrong_digest_length() -> None:
    with pytest.raises(CIDError):
        CID(RAW, 0x13, b"\0" * 64)
    with pytest.raises(CIDError):
        CID(RAW, SHA2_256, b"\0" * 31)
    with pytest.raises(CIDError):
        CID.from_bytes(bytes(CID.compute(RAW, b"")) + b"\0")


def test_multihash_string_is_z_base58_of_multihash() -> None:
    cid = CID.compute(CAR, b"abc")
    text = multihash_string(cid)
    assert text.startswith("zQm")  # sha2-256 multihashes render as Qm... in base58
    assert multibase_decode(text) == b"\x12\x20" + cid.digest


@given(st.binary(max_size=64))
def test_base58_round_trip(data: bytes) -> None:
    assert b58_decode(b58_encode(data)) == data


def test_ordering_and_repr() -> None:
    a, b = CID.compute(RAW, b"a"), CID.compute(RAW, b"b")
    assert (a < b) == (bytes(a) < bytes(b))
    assert repr(a) == f"CID({a})"
