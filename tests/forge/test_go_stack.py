"""Evidence from the real Go services (``--forge-stack=go``): piri's blob store
holds every CAR moto_forge wrote, the Go indexer answers ``GET /claims`` for a
block inside an object with a location in piri, and a moto_forge restarted with
an empty local blob cache reads its objects back from piri through the indexer."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests

from moto_forge.bucket.service import BucketService
from moto_forge.forge.identity import Identity
from moto_forge.forge.retrieval import QUERY_RESULT
from moto_forge.ipld.car import read_variant_car
from moto_forge.ipld.cid import CID, RAW, SHA2_256, multihash_string
from moto_forge.ipld.multibase import multibase_decode
from moto_forge.ucan.ucan import UCAN
from tests.e2e.conftest import Served, client, start_server
from tests.forge.gostack.stack import GoStack
from tests.support.forge_peers import PeerLauncher

pytestmark = pytest.mark.go_stack

MIB = 1 << 20


def piri_holdings(stack: GoStack) -> dict[str, bytes]:
    """piri's filesystem blob store: multihash string (split into 2-character
    directories on disk) -> bytes."""
    return {
        "".join(path.relative_to(stack.piri_blobs).parts): path.read_bytes()
        for path in stack.piri_blobs.rglob("*")
        if path.is_file()
    }


def claims_for(stack: GoStack, block: bytes) -> list[UCAN]:
    """The claims the indexer returns for the raw block ``block`` (by its multihash)."""
    name = multihash_string(CID(RAW, SHA2_256, hashlib.sha256(block).digest()))
    response = requests.get(stack.claims_url, params={"multihash": name}, timeout=60)
    assert response.status_code == 200, response.text
    _, result, by_cid = read_variant_car(response.content, QUERY_RESULT, binary_keys=True)
    assert isinstance(result, dict)
    return [UCAN.decode(by_cid[link]) for link in result["claims"]]


def test_piri_holds_the_cars_and_the_indexer_locates_blocks_in_piri(forge_peer: PeerLauncher, tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    identity = Identity.load_or_create(data_dir)
    stack = forge_peer(identity)
    assert isinstance(stack, GoStack)
    try:
        write_then_check_the_services(stack, data_dir)
        shutil.rmtree(Path(data_dir, "blobs"))  # an empty local cache
        read_back_from_piri(stack, data_dir)
    finally:
        stack.stop()


SMALL, LARGE = b"a small object, one raw chunk", os.urandom(2 * MIB + 12345)


def serve(stack: GoStack, data_dir: str) -> Served:
    return start_server(data_dir, "--forge", stack.url, "--forge-did", stack.did, "--forge-key", stack.key,
                        "--forge-claims", stack.claims_url, "--write-mode", "sync")  # fmt: skip


def write_then_check_the_services(stack: GoStack, data_dir: str) -> None:
    server = serve(stack, data_dir)
    try:
        s3: Any = client(server.url)
        s3.create_bucket(Bucket="piri")
        s3.put_object(Bucket="piri", Key="small.txt", Body=SMALL)
        s3.put_object(Bucket="piri", Key="large.bin", Body=LARGE)
    finally:
        server.stop()
    local = BucketService.open(data_dir)
    blobs = local.registry.list_blobs()
    local.close()
    cars = [b for b in blobs if b.kind == "car"]
    held = piri_holdings(stack)
    for car in cars:  # every CAR, byte for byte, is in piri's blob store
        car_bytes = Path(data_dir, "blobs", car.multihash[-2:], car.multihash).read_bytes()
        assert held[car.multihash] == car_bytes

    claims = claims_for(stack, LARGE[MIB : 2 * MIB])  # a block inside an object
    kinds = {claim.capabilities[0].can for claim in claims}
    assert "assert/index" in kinds  # the index claim our space/index/add published
    locations = [c for c in claims if c.capabilities[0].can == "assert/location"]
    assert locations and all(c.issuer == stack.piri_did for c in locations)  # piri's location commitments
    located = {claim.capabilities[0].nb["content"]["digest"] for claim in locations}
    assert located & {multibase_decode(c.multihash) for c in cars}  # ...for the CAR holding the block
    assert located <= {multibase_decode(b.multihash) for b in blobs}  # (and its index): blobs we wrote
    for claim in locations:
        assert all(str(url).startswith(stack.piri_url) for url in claim.capabilities[0].nb["location"])


def read_back_from_piri(stack: GoStack, data_dir: str) -> None:
    server = serve(stack, data_dir)
    try:
        s3: Any = client(server.url)
        assert s3.get_object(Bucket="piri", Key="large.bin")["Body"].read() == LARGE
        assert s3.get_object(Bucket="piri", Key="small.txt")["Body"].read() == SMALL
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="piri")["Contents"]]
        assert keys == ["large.bin", "small.txt"]
        assert list(Path(data_dir, "blobs").rglob("z*"))  # fetched from piri, verified, cached again
    finally:
        server.stop()
