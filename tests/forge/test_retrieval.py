"""ForgeRetriever against a local stand-in for an indexer and a storage node
(a unit test of this layer): good bytes are returned, wrong bytes never are."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from moto_forge.errors import MissingBlockError
from moto_forge.forge.retrieval import QUERY_RESULT, ForgeRetriever
from moto_forge.ipld import dagcbor
from moto_forge.ipld.car import encode_car
from moto_forge.ipld.cid import CAR, CID, DAG_CBOR, SHA2_256, multihash_string
from moto_forge.ucan.principal import Signer
from moto_forge.ucan.ucan import UCAN, Capability

BLOB = b"the blob's real bytes" * 100
DIGEST = b"\x12\x20" + hashlib.sha256(BLOB).digest()
NAME = multihash_string(CID(CAR, SHA2_256, DIGEST[2:]))


@pytest.fixture
def node() -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {"body": BLOB}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/claims"):
                body = state["claims"]
            elif self.path == "/blob":
                body = state["body"]
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_port}"
    signer = Signer.generate()
    claim = UCAN.issue(signer, signer.did, [Capability(signer.did, "assert/location", {
        "content": {"digest": DIGEST}, "location": [f"{base}/blob"]})], None)  # fmt: skip
    root = dagcbor.encode({QUERY_RESULT: {"claims": [claim.cid], "indexes": {}}})
    root_cid = CID.compute(DAG_CBOR, root)
    state["claims"] = encode_car([root_cid], [(claim.cid, claim.block), (root_cid, root)])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["claims_url"] = f"{base}/claims"
    yield state
    server.shutdown()
    server.server_close()


def test_fetches_a_located_blob(node: dict[str, Any]) -> None:
    retriever = ForgeRetriever(node["claims_url"])
    assert retriever.locations(NAME) == [node["claims_url"].replace("/claims", "/blob")]
    assert retriever.fetch(NAME) == BLOB


def test_corrupted_bytes_are_never_returned(node: dict[str, Any]) -> None:
    node["body"] = BLOB[:-1] + b"!"
    with pytest.raises(MissingBlockError) as info:
        ForgeRetriever(node["claims_url"]).fetch(NAME)
    assert info.value.cid == CID(CAR, SHA2_256, DIGEST[2:])
