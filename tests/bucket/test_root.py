"""The bucket root node and the configuration document: one CID for the whole bucket."""

from __future__ import annotations

import io

import pytest

from moto_forge.blocks import PendingCar
from moto_forge.bucket.root import BucketRoot, decode_config, decode_root, encode_config, load_root
from moto_forge.bucket.service import EMPTY_ROOT, BucketService
from moto_forge.bucket.snapshots import export_car, import_car
from moto_forge.bucket.walk import reachable
from moto_forge.errors import ManifestError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, DAG_CBOR
from moto_forge.mst import MST
from moto_forge.registry import SharedBlocks

CORS = {"call": "put_bucket_cors", "args": [[{"AllowedMethod": ["GET"], "AllowedOrigin": ["*"]}]]}


def test_a_node_has_exactly_its_three_fields_and_one_encoding() -> None:
    objects = MST.empty(MemoryBlocks()).root
    config, _ = encode_config({"cors": CORS})
    for node in (BucketRoot(objects), BucketRoot(objects, config), BucketRoot(objects, config, objects)):
        cid, data = node.encode()
        assert dagcbor.decode(data) == {"objects": objects, "versions": node.versions, "config": node.config}
        assert decode_root(data, cid) == node and node.encode() == (cid, data)
    bad = dagcbor.encode({"objects": objects, "config": None})
    with pytest.raises(ManifestError, match="fields"):
        decode_root(bad, CID.compute(DAG_CBOR, bad))
    with pytest.raises(ManifestError, match="link"):
        not_link = dagcbor.encode({"objects": "bafy", "versions": None, "config": None})
        decode_root(not_link, CID.compute(DAG_CBOR, not_link))


def test_an_older_stores_root_is_the_objects_tree_itself() -> None:
    source = MemoryBlocks()
    root, blocks = MST.empty(source).commit()
    assert decode_root(blocks[-1][1], root) == BucketRoot(root, None, None)


def test_a_configuration_document_names_only_known_configurations() -> None:
    cid, data = encode_config({"cors": CORS, "region": "eu-west-1"})
    assert decode_config(data, cid) == {"cors": CORS, "region": "eu-west-1"}
    with pytest.raises(ManifestError, match="unknown configuration"):
        encode_config({"cors": CORS, "shell": "rm -rf /"})
    sneaky = dagcbor.encode({"shell": 1})
    with pytest.raises(ManifestError, match="unknown configuration"):
        decode_config(sneaky, CID.compute(DAG_CBOR, sneaky))


def test_configure_is_one_write_and_objects_writes_keep_the_configuration(service: BucketService) -> None:
    created = service.create_bucket("conf", config={"region": "eu-west-1"})
    assert created.root != EMPTY_ROOT
    assert service.bucket_config("conf") == {"region": "eu-west-1"}
    configured = service.configure("conf", "PutBucketCors", lambda config: {**config, "cors": CORS})
    assert configured.seq == created.seq + 1
    written = service.put_object("conf", "k", io.BytesIO(b"body"))
    node = service.bucket_root(written.root)
    assert service.config_of(node) == {"region": "eu-west-1", "cors": CORS}
    assert service.bucket_config("conf", created.root) == {"region": "eu-west-1"}  # history keeps the old state
    unchanged = service.configure("conf", "PutBucketCors", lambda config: {**config, "cors": CORS})
    assert unchanged.root == written.root and unchanged.seq == written.seq  # nothing changed: nothing written
    removed = service.configure("conf", "DeleteBucketCors", lambda config: {"region": config["region"]})
    assert service.bucket_config("conf") == {"region": "eu-west-1"}
    assert service.bucket_root(removed.root).objects == node.objects


def test_everything_a_root_reaches_includes_its_node_and_configuration(service: BucketService, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service.create_bucket("conf", config={"cors": CORS})
    root = service.put_object("conf", "k", io.BytesIO(b"body")).root
    node = service.bucket_root(root)
    reached = list(reachable(service.store, service.loader, root, set()))
    assert reached[:2] == [root, node.config] and node.objects in reached
    car = tmp_path / "conf.car"
    with open(car, "wb") as out:
        assert export_car(service, "conf", out)[0] == root
    with open(car, "rb") as stream:
        assert import_car(service, stream, "conf-copy") == root
    assert service.bucket_config("conf-copy") == {"cors": CORS}
    assert b"".join(service.read_body(service.head_object("conf-copy", "k")[0])) == b"body"


def test_a_bucket_made_by_an_older_version_reads_and_takes_writes(service: BucketService) -> None:
    """Before bucket roots, the registry named the objects MST root directly."""
    with PendingCar(service.blobs) as car:
        objects, blocks = MST.empty(service.store).commit()
        for cid, data in blocks:
            car.add(cid, data)
        stored = service.finish(car, objects)
    epoch = service.registry.gc_epoch()
    service.registry.add_blobs(stored.records, placed=epoch)
    assert service.registry.create_bucket("old", objects, empty=True, shared=SharedBlocks(epoch, (objects,)))
    assert load_root(service.store, objects) == BucketRoot(objects)
    assert service.bucket_config("old") == {}
    unchanged = service.delete_object("old", "absent")
    assert unchanged.root == objects  # the same state: no write, the old root stays
    written = service.put_object("old", "k", io.BytesIO(b"new"))
    assert service.bucket_root(written.root).objects != objects
    assert [k for k, _ in service.tree("old").items()] == [b"k"]
    assert [k for k, _ in service.tree("old", objects).items()] == []
