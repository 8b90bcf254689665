"""Object versioning over the content-addressed model: version lists in a versions MST
beside the objects MST, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from moto_forge.bucket.maintenance import Retention, fsck, gc
from moto_forge.bucket.service import BucketService
from moto_forge.bucket.snapshots import export_car, import_car
from moto_forge.bucket.versions import NULL, Version, decode_versions, encode_versions, list_versions
from moto_forge.errors import BucketNotEmpty, ManifestError, MethodNotAllowed, NoSuchKey, NoSuchVersion
from moto_forge.ipld.cid import CID, DAG_CBOR


def versioning(service: BucketService, bucket: str, status: str) -> None:
    entry = {"call": "put_bucket_versioning", "args": [status]}
    service.configure(bucket, f"PutBucketVersioning {status}", lambda config: {**config, "versioning": entry})


def put(service: BucketService, key: str, body: bytes, bucket: str = "ver") -> str | None:
    return service.put_object(bucket, key, io.BytesIO(body)).version_id


def body(service: BucketService, key: str, version: str | None = None, bucket: str = "ver") -> bytes:
    manifest, _ = service.head_object(bucket, key, version_id=version)
    return b"".join(service.read_body(manifest))


def vids(service: BucketService, key: str, bucket: str = "ver") -> list[str]:
    return [v.vid for v in service.history_of(service.state_of(service.snapshot(bucket)[1]), key)]


def test_a_bucket_never_versioned_has_no_versions_tree(service: BucketService) -> None:
    service.create_bucket("ver")
    assert put(service, "k", b"a") is None
    assert service.delete_object("ver", "k").version_id is None
    assert service.bucket_root(service.head_bucket("ver").root).versions is None


def test_enabled_versioning_keeps_every_version_and_the_earlier_null_one(service: BucketService) -> None:
    service.create_bucket("ver")
    put(service, "k", b"before")
    versioning(service, "ver", "Enabled")
    one, two = put(service, "k", b"one"), put(service, "k", b"two")
    assert one and two and len({one, two, NULL}) == 3
    assert vids(service, "k") == [two, one, NULL]
    assert body(service, "k") == b"two" and body(service, "k", one) == b"one" and body(service, "k", NULL) == b"before"
    assert service.find_object("ver", "k").version_id == two
    with pytest.raises(NoSuchVersion):
        service.head_object("ver", "k", version_id="nope")


def test_a_delete_marker_hides_the_key_and_removing_it_brings_it_back(service: BucketService) -> None:
    service.create_bucket("ver")
    versioning(service, "ver", "Enabled")
    one = put(service, "k", b"one")
    deleted = service.delete_object("ver", "k")
    assert deleted.delete_marker and deleted.version_id not in (None, one)
    with pytest.raises(NoSuchKey) as missing:
        service.head_object("ver", "k")
    assert missing.value.headers == {"x-amz-delete-marker": "true", "x-amz-version-id": deleted.version_id}
    with pytest.raises(MethodNotAllowed):
        service.head_object("ver", "k", version_id=deleted.version_id)
    assert service.list_objects("ver").entries == []  # listings show current objects only
    assert body(service, "k", one) == b"one"
    removed = service.delete_object("ver", "k", deleted.version_id)
    assert removed.delete_marker and removed.version_id == deleted.version_id
    assert body(service, "k") == b"one" and [k for k, _ in service.list_objects("ver").entries] == ["k"]
    again = service.delete_object("ver", "k").version_id  # a marker over one noncurrent version
    assert service.list_objects("ver").entries == [] and vids(service, "k") == [again, one]
    with pytest.raises(BucketNotEmpty):
        service.delete_bucket("ver")  # versions keep a bucket from being empty
    service.delete_object("ver", "k", one)
    service.delete_object("ver", "k", again)
    assert vids(service, "k") == [] and service.list_objects("ver").entries == []
    service.delete_bucket("ver")  # no versions left: the bucket is empty


def test_suspended_versioning_writes_null_versions_over_the_previous_null(service: BucketService) -> None:
    service.create_bucket("ver")
    versioning(service, "ver", "Enabled")
    kept = put(service, "k", b"kept")
    versioning(service, "ver", "Suspended")
    assert put(service, "k", b"first null") == NULL
    assert put(service, "k", b"second null") == NULL
    assert vids(service, "k") == [NULL, kept] and body(service, "k") == b"second null"
    marker = service.delete_object("ver", "k")
    assert marker.version_id == NULL and marker.delete_marker
    assert vids(service, "k") == [NULL, kept]  # the marker replaced the null version


def test_a_tag_change_edits_its_version_in_place(service: BucketService) -> None:
    service.create_bucket("ver")
    versioning(service, "ver", "Enabled")
    one, two = put(service, "k", b"one"), put(service, "k", b"two")
    tagged = service.set_object_tags("ver", "k", {"t": "v"}, one)
    assert tagged.version_id == one and vids(service, "k") == [two, one]
    assert service.head_object("ver", "k", version_id=one)[0].tags == {"t": "v"}
    assert service.head_object("ver", "k")[0].tags == {}


def test_old_versions_are_live_for_gc_fsck_and_export(service: BucketService, tmp_path: Path) -> None:
    service.create_bucket("ver")
    versioning(service, "ver", "Enabled")
    one = put(service, "k", b"old body " * 300)
    put(service, "k", b"new body")
    service.delete_object("ver", "k")
    report = gc(service, Retention(keep_last=1, keep_days=0), grace_seconds=0)
    assert report.history_pruned > 0 and fsck(service).ok  # only the newest root kept: it reaches every version
    assert body(service, "k", one) == b"old body " * 300
    car = tmp_path / "ver.car"
    with open(car, "wb") as out:
        export_car(service, "ver", out)
    with open(car, "rb") as stream:
        import_car(service, stream, "ver-copy")
    assert vids(service, "k", "ver-copy") == vids(service, "k")
    assert body(service, "k", one, "ver-copy") == b"old body " * 300


def test_listing_versions_pages_through_keys_versions_and_prefixes(service: BucketService) -> None:
    service.create_bucket("ver")
    put(service, "a", b"null a")
    versioning(service, "ver", "Enabled")
    a = [put(service, "a", b"a1"), put(service, "a", b"a2")]
    b = put(service, "b", b"b1")
    marker = service.delete_object("ver", "b").version_id
    put(service, "dir/x", b"x")
    put(service, "dir/y", b"y")
    everything = service.list_versions("ver")
    assert [(k, v.vid, latest) for k, v, latest in everything.versions] == [
        ("a", a[1], True), ("a", a[0], False), ("a", NULL, False), ("b", marker, True), ("b", b, False),
        ("dir/x", everything.versions[5][1].vid, True), ("dir/y", everything.versions[6][1].vid, True),
    ]  # fmt: skip
    page = service.list_versions("ver", max_keys=2)
    assert page.truncated and (page.next_key, page.next_version) == ("a", a[0])
    rest = service.list_versions("ver", key_marker="a", version_marker=a[0], max_keys=2)
    assert [(k, v.vid) for k, v, _ in rest.versions] == [("a", NULL), ("b", marker)]
    folded = service.list_versions("ver", delimiter="/")
    assert folded.prefixes == ["dir/"] and [k for k, _, _ in folded.versions] == ["a", "a", "a", "b", "b"]
    assert service.list_versions("ver", prefix="dir/", key_marker="dir/x").versions[0][0] == "dir/y"


def test_a_version_list_has_one_encoding_and_is_checked() -> None:
    versions = [Version("abc", None, 5), Version(NULL, CID.compute(DAG_CBOR, b"m"), 1)]
    cid, data = encode_versions(versions)
    assert decode_versions(data, cid) == versions
    twice = encode_versions([versions[0], versions[0]])
    with pytest.raises(ManifestError, match="twice"):
        decode_versions(twice[1], twice[0])
    empty = encode_versions([])
    with pytest.raises(ManifestError, match="non-empty"):
        decode_versions(empty[1], empty[0])


def test_list_versions_counts_prefixes_and_versions_toward_max_keys() -> None:
    lists = {"a": [Version("2", None, 2), Version("1", None, 1)], "p/x": [Version("3", None, 3)]}
    page = list_versions(iter(["a", "p/x"]), lambda key: lists[key], delimiter="/", max_keys=2)
    assert [(k, v.vid) for k, v, _ in page.versions] == [("a", "2"), ("a", "1")] and page.truncated
    after = list_versions(iter(["a", "p/x"]), lambda key: lists[key], delimiter="/", key_marker="a")
    assert after.prefixes == ["p/"] and not after.truncated
