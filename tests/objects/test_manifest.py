import dataclasses
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moto_forge.errors import ManifestError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.objects.body import CONCAT_V1
from moto_forge.objects.manifest import Body, ObjectManifest

ROOT = CID.compute(DAG_CBOR, b"index")
small_maps = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)


def sample(**changes: object) -> ObjectManifest:
    manifest = ObjectManifest(
        key="photos/cat.jpg",
        body=Body(3, hashlib.sha256(b"abc").digest(), hashlib.md5(b"abc").digest(), ROOT),
        etag=hashlib.md5(b"abc").hexdigest(),
        created=1_700_000_000,
        content_type="image/jpeg",
        metadata={"owner": "me"},
        headers={"cache-control": "no-cache"},
        tags={"team": "x"},
        checksums={"crc32": "NSRBwg=="},
        checksum_type="FULL_OBJECT",
    )
    return dataclasses.replace(manifest, **changes)


def test_field_names_extend_ms3t() -> None:
    raw = dagcbor.decode(sample().encode()[1])
    assert {"k", "ct", "t", "b"} <= set(raw)
    assert {"s", "h", "c", "f"} <= set(raw["b"])
    assert raw["b"]["f"] == "fixed-v1"


@given(small_maps, small_maps, st.text(min_size=1, max_size=20), st.integers(0, 2**40))
def test_round_trip(metadata: dict[str, str], tags: dict[str, str], key: str, size: int) -> None:
    manifest = sample(metadata=metadata, tags=tags, key=key, body=Body(size, None, None, ROOT, CONCAT_V1), parts=3)
    cid, data = manifest.encode()
    assert cid == CID.compute(DAG_CBOR, data)
    assert ObjectManifest.decode(data, cid) == manifest


def test_five_tib_objects_are_representable() -> None:
    big = sample(body=Body(5 * 2**40, None, None, ROOT, CONCAT_V1), parts=10_000)
    assert ObjectManifest.decode(big.encode()[1]).body.size == 5 * 2**40


@pytest.mark.parametrize(
    "changes",
    [
        {"key": ""},
        {"created": -1},
        {"etag": ""},
        {"headers": {"x-evil": "1"}},
        {"checksums": {"md4": "x"}},
        {"checksum_type": "PARTIAL"},
        {"parts": 10_001},
        {"body": Body(1, b"short", None, ROOT)},
        {"body": Body(1, None, None, ROOT, "rabin")},
    ],
)
def test_invalid_fields_are_refused(changes: dict[str, object]) -> None:
    data = dagcbor.encode(sample(**changes).to_ipld())
    with pytest.raises(ManifestError):
        ObjectManifest.decode(data)


def test_missing_or_extra_fields_are_refused() -> None:
    raw = sample().to_ipld()
    del raw["tg"]
    with pytest.raises(ManifestError):
        ObjectManifest.decode(dagcbor.encode(raw))
    with pytest.raises(ManifestError):
        ObjectManifest.decode(dagcbor.encode({**sample().to_ipld(), "zz": 1}))
    with pytest.raises(ManifestError):
        ObjectManifest.decode(b"\xff")


def test_attributes_are_written_only_when_present_and_checked() -> None:
    plain = sample()
    assert "x" not in plain.to_ipld()  # a manifest without attributes encodes as before they existed
    kept = sample(attributes={"sc": "GLACIER", "sse": "AES256"})
    assert ObjectManifest.decode(kept.encode()[1]) == kept
    with pytest.raises(ManifestError, match="only when not empty"):
        ObjectManifest.decode(dagcbor.encode({**plain.to_ipld(), "x": {}}))
    with pytest.raises(ManifestError, match="x"):
        ObjectManifest.decode(dagcbor.encode({**plain.to_ipld(), "x": {"shell": "rm"}}))


def test_a_bad_manifest_is_named_by_its_cid_in_the_error() -> None:
    bad = dagcbor.encode({"k": "x"})
    cid = CID.compute(DAG_CBOR, bad)
    with pytest.raises(ManifestError, match=f"^manifest {cid}: fields"):
        ObjectManifest.decode(bad, cid)
    with pytest.raises(ManifestError, match=r"^manifest: indefinite length"):
        ObjectManifest.decode(b"\xff", None)
