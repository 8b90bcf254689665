"""moto_forge's ucanto client against the real @storacha/upload-api, served over
HTTP by tests/forge/peer/server.mjs with our space provisioned."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from moto_forge.forge.connection import Connection, ForgeProtocolError, http_transport
from moto_forge.forge.identity import Identity
from moto_forge.ucan.archive import extract
from moto_forge.ucan.principal import Signer, Verifier
from moto_forge.ucan.ucan import UCAN, Capability
from tests.support.forge_peers import PeerLauncher


@dataclass
class Peer:
    url: str
    did: str
    key: str
    identity: Identity
    data_dir: str


@pytest.fixture(scope="module")
def upload_service(forge_peer: PeerLauncher, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    data_dir = str(tmp_path_factory.mktemp("forge-identity"))
    identity = Identity.load_or_create(data_dir)
    peer = forge_peer(identity)
    yield Peer(peer.url, peer.did, peer.key, identity, data_dir)
    peer.stop()


def connect(peer: Peer) -> Connection:
    return Connection(peer.identity.agent, peer.did, http_transport(peer.url), Verifier.parse(peer.key),
                      receipts_url=f"{peer.url}/receipt")  # fmt: skip


def test_space_info_through_the_agent_proof(upload_service: Peer) -> None:
    identity = upload_service.identity
    connection = connect(upload_service)
    invocation = connection.invoke(identity.space.did, "space/info", proofs=[identity.agent_proof])
    (receipt,) = connection.execute(invocation)
    assert receipt.error is None, receipt.error
    assert receipt.ok["did"] == identity.space.did
    assert receipt.ran == invocation[0].cid
    assert receipt.issuer == upload_service.did  # signed by the service's key (checked by execute)


def test_without_a_proof_the_service_refuses(upload_service: Peer) -> None:
    connection = connect(upload_service)
    invocation = connection.invoke(upload_service.identity.space.did, "space/info")
    (receipt,) = connection.execute(invocation)
    assert receipt.ok is None and receipt.error["name"] == "Unauthorized"


def test_a_delegation_from_the_cli_lets_another_agent_in(upload_service: Peer, tmp_path: Path) -> None:
    identity = upload_service.identity
    other = Signer.generate()
    out = tmp_path / "to-other.car"
    result = subprocess.run(
        [sys.executable, "-m", "moto_forge.cli", "space", "delegate", "--data-dir", upload_service.data_dir,
         "--audience", other.did, "--can", "space/info", "--expiration", "600", "--out", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    delegation, _ = extract(out.read_bytes())
    connection = Connection(
        other, upload_service.did, http_transport(upload_service.url), Verifier.parse(upload_service.key)
    )
    (receipt,) = connection.execute(connection.invoke(identity.space.did, "space/info", proofs=[delegation]))
    assert receipt.ok["did"] == identity.space.did
    forged = UCAN.issue(other, other.did, [Capability(identity.space.did, "space/info")], None)
    (refused,) = connection.execute(connection.invoke(identity.space.did, "space/info", proofs=[forged]))
    assert refused.error is not None


def test_receipts_signed_by_someone_else_are_rejected(upload_service: Peer) -> None:
    identity = upload_service.identity
    impostor = Connection(identity.agent, upload_service.did, http_transport(upload_service.url), identity.agent)
    with pytest.raises(ForgeProtocolError):
        impostor.execute(impostor.invoke(identity.space.did, "space/info", proofs=[identity.agent_proof]))


def test_a_car_moto_forge_built_is_stored_as_a_blob(upload_service: Peer, tmp_path: Path) -> None:
    import hashlib
    import io

    from moto_forge.bucket.service import BucketService
    from moto_forge.forge.blobs import add_blob

    service = BucketService.open(str(tmp_path / "data"))
    service.create_bucket("to-forge")
    service.put_object("to-forge", "hello.txt", io.BytesIO(b"hello forge"))
    car = max((b for b in service.registry.list_blobs() if b.kind == "car"), key=lambda b: b.size)
    car_bytes = service.blobs.read(car.multihash, 0, car.size)  # small: held in the registry, not a file
    service.close()

    identity = upload_service.identity
    connection = connect(upload_service)
    stored = add_blob(connection, identity.space.did, [identity.agent_proof], car_bytes)
    assert stored.put and stored.digest == b"\x12\x20" + hashlib.sha256(car_bytes).digest()
    assert stored.site is not None  # the blob/accept receipt (read from /receipt/) links its location commitment
    again = add_blob(connection, identity.space.did, [identity.agent_proof], car_bytes)
    assert not again.put  # already there: no second upload
    assert again.site is not None  # ...and its acceptance came with the add's receipt

    no_endpoint = Connection(connection.agent, connection.audience, connection.transport, connection.service_key)
    with pytest.raises(ForgeProtocolError, match="no receipts endpoint"):
        add_blob(no_endpoint, identity.space.did, [identity.agent_proof], car_bytes + b"\n")  # new: must wait

    (listing,) = connection.execute(
        connection.invoke(identity.space.did, "space/blob/list", {}, [identity.agent_proof])
    )
    assert listing.error is None, listing.error
    digests = [entry["blob"]["digest"] for entry in listing.ok["results"]]
    assert stored.digest in digests  # the peer holds a blob whose multihash is the CAR's sha256


def test_our_sharded_dag_index_is_accepted_by_space_index_add(upload_service: Peer, tmp_path: Path) -> None:
    import io

    from moto_forge.bucket.service import BucketService
    from moto_forge.forge.blobs import add_blob
    from moto_forge.ipld.cid import CAR, CID, SHA2_256

    service = BucketService.open(str(tmp_path / "data"))
    service.create_bucket("indexed")
    service.put_object("indexed", "a/b.bin", io.BytesIO(bytes(range(256)) * 50))
    blobs = service.registry.list_blobs()
    index = blobs[-1]
    car = next(b for b in blobs if b.multihash == index.shard)
    car_bytes = service.blobs.read(car.multihash, 0, car.size)  # small: held in the registry, not files
    index_bytes = service.blobs.read(index.multihash, 0, index.size)
    service.close()

    identity = upload_service.identity
    connection = connect(upload_service)
    proofs = [identity.agent_proof]
    add_blob(connection, identity.space.did, proofs, car_bytes)
    stored_index = add_blob(connection, identity.space.did, proofs, index_bytes)
    index_link = CID(CAR, SHA2_256, stored_index.digest[2:])
    (receipt,) = connection.execute(
        connection.invoke(identity.space.did, "space/index/add", {"index": index_link}, proofs)
    )
    assert receipt.error is None, receipt.error  # @storacha/blob-index parsed it; its shard is in the space


def test_a_publish_with_a_retrieval_auth(upload_service: Peer, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """``--forge-retrieval-auth`` (sprue requires it): ``space/index/add`` with the index's
    ``content`` root and a ``retrievalAuth`` fact.  The npm peer takes it; on the Go stack
    the indexer, handed the fact, asks piri v0.2.1 for the index by an authorized
    retrieval piri does not speak, and the write is refused (why the option is off by
    default: tests/forge/gostack/README.md)."""
    import io

    from moto_forge.blocks.carfile import StoredCar
    from moto_forge.bucket.service import BucketService
    from moto_forge.forge.publisher import ForgePublisher, ForgeUnavailable
    from tests.support.forge_peers import listed_uploads

    service = BucketService.open(str(tmp_path / "data"))
    service.create_bucket("authorized")
    service.put_object("authorized", "k", io.BytesIO(b"retrievable with authorization"))
    blobs = service.registry.list_blobs()
    index = blobs[-1]
    car = next(b for b in blobs if b.multihash == index.shard)
    for blob in (car, index):  # the publisher reads files: a Forge mode's writes have them (these are inline)
        service.blobs.place(blob.multihash, service.blobs.read(blob.multihash, 0, blob.size))
    root = service.head_bucket("authorized").root
    identity = upload_service.identity
    publisher = ForgePublisher(connect(upload_service), identity, service.blobs.path, retrieval_auth=True)
    fact = publisher.retrieval_auth(identity.space.did, [identity.agent_proof], b"\x12\x20" + bytes(32), 10)
    (capability,) = fact.capabilities
    assert capability.can == "space/content/retrieve" and capability.nb == {
        "blob": {"digest": b"\x12\x20" + bytes(32)}, "range": [0, 9]}  # fmt: skip
    assert fact.audience == upload_service.did and fact.proofs == [identity.agent_proof.cid]
    if request.config.getoption("--forge-stack") == "go":
        with pytest.raises(ForgeUnavailable, match="missing X-Agent-Message header"):
            publisher.publish(StoredCar(car, index), None, root)
        service.close()
        return
    publisher.publish(StoredCar(car, index), None, root)
    service.close()
    assert root in listed_uploads(upload_service, identity)
