"""`moto-forge serve --forge`: every S3 write is in the real upload-api peer before
it commits (sync mode); with the peer gone, writes fail with 503 and the bucket
root does not move."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from moto_forge.bucket.service import BucketService
from moto_forge.forge.identity import Identity
from moto_forge.forge.retrieval import QUERY_RESULT
from moto_forge.ipld.car import read_variant_car
from moto_forge.ipld.cid import CAR, multihash_string
from moto_forge.ucan.ucan import UCAN
from tests.e2e.conftest import client, start_server
from tests.support.forge_peers import PeerLauncher, listed_uploads, peer_blobs


def test_sync_mode_writes_reach_forge_before_they_commit(forge_peer: PeerLauncher, tmp_path: Path) -> None:
    data_dir = str(tmp_path)
    identity = Identity.load_or_create(data_dir)
    peer = forge_peer(identity)
    assert peer.did.startswith("did:web:")  # no --forge-key: its did:web document names the key
    document = f"{peer.url}/.well-known/did.json"
    server = start_server(data_dir, "--forge", peer.url, "--forge-did", peer.did, "--forge-did-document", document)
    try:
        s3: Any = client(server.url)
        s3.create_bucket(Bucket="forged")
        s3.put_object(Bucket="forged", Key="small.txt", Body=b"to forge and back")
        uid = s3.create_multipart_upload(Bucket="forged", Key="multi.bin")["UploadId"]
        part = s3.upload_part(Bucket="forged", Key="multi.bin", UploadId=uid, PartNumber=1, Body=os.urandom(70_000))
        s3.complete_multipart_upload(Bucket="forged", Key="multi.bin", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})  # fmt: skip
        assert s3.get_object(Bucket="forged", Key="small.txt")["Body"].read() == b"to forge and back"

        local = BucketService.open(data_dir)
        cars = [b for b in local.registry.list_blobs() if b.kind == "car"]
        record = local.head_bucket("forged")
        committed = local.registry.history("forged")[1:]  # seq 0: the empty root of CreateBucket
        local.close()
        uploads = listed_uploads(peer, identity)
        assert {r.root for r in committed} <= set(uploads)  # every committed root is an upload
        for r in committed:  # ...whose one shard is the CAR the write made
            (shard,) = uploads[r.root]
            assert shard.codec == CAR and multihash_string(shard) in {car.multihash for car in cars}
        held = peer_blobs(peer, identity)
        for car in cars:  # every CAR every write made, and its index, is in Forge
            car_bytes = Path(data_dir, "blobs", car.multihash[-2:], car.multihash).read_bytes()
            assert b"\x12\x20" + hashlib.sha256(car_bytes).digest() in held
        assert len(held) == 2 * len(cars)
        assert record.forge_root == record.root  # the forge root advanced with the bucket
        claims = requests.get(peer.claims_url, params={"multihash": multihash_string(record.root)}, timeout=30)
        _, result, by_cid = read_variant_car(claims.content, QUERY_RESULT, binary_keys=True)
        links = result["claims"]
        kinds = {UCAN.decode(by_cid[link]).capabilities[0].can for link in links}
        assert "assert/index" in kinds  # the indexer holds an index claim for the bucket's root

        root_before = s3.head_object(Bucket="forged", Key="small.txt")["ResponseMetadata"]["HTTPHeaders"][
            "x-forge-root"
        ]
        peer.stop()
        with pytest.raises(ClientError) as info:
            client(server.url, retries={"max_attempts": 1}).put_object(Bucket="forged", Key="late.txt", Body=b"x")
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        head = s3.head_object(Bucket="forged", Key="small.txt")
        assert head["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"] == root_before
    finally:
        server.stop()
        peer.stop()
