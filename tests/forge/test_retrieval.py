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


class RangeSession:
    """A location that answers ranged GETs (206), or ignores ranges (200, whole blob)."""

    def __init__(self, blob: bytes, honour_ranges: bool = True) -> None:
        self.blob = blob
        self.honour_ranges = honour_ranges
        self.gets: list[str] = []

    def get(self, url: str, headers: dict[str, str] | None = None, **_: Any) -> Any:
        self.gets.append((headers or {}).get("range", ""))
        first, last = (int(n) for n in (headers or {})["range"].removeprefix("bytes=").split("-"))
        status, content = (206, self.blob[first : last + 1]) if self.honour_ranges else (200, self.blob)
        return type("Response", (), {"status_code": status, "content": content})()


@pytest.mark.parametrize("honour_ranges", [True, False])
def test_ranged_reads_remember_locations_for_a_while(honour_ranges: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import moto_forge.forge.retrieval as retrieval

    blob = bytes(range(256)) * 8
    session = RangeSession(blob, honour_ranges)
    retriever = ForgeRetriever("http://claims.invalid/claims", session=session)  # type: ignore[arg-type]
    queries: list[str] = []
    monkeypatch.setattr(retriever, "locations", lambda name: queries.append(name) or ["http://node.invalid/blob"])
    name = multihash_string(CID.compute(CAR, blob))
    assert retriever.read_range(name, 10, 5) == blob[10:15]
    assert retriever.read_range(name, 1000, 24) == blob[1000:1024]
    assert queries == [name]  # the location was remembered
    assert session.gets == ["bytes=10-14", "bytes=1000-1023"]
    now = [retrieval.time.monotonic() + retrieval.LOCATION_CACHE_SECONDS + 1]
    monkeypatch.setattr(retrieval.time, "monotonic", lambda: now[0])
    retriever.read_range(name, 0, 1)
    assert queries == [name, name]  # too old: asked again


def test_location_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto_forge.forge.retrieval as retrieval

    monkeypatch.setattr(retrieval, "LOCATION_CACHE_ENTRIES", 2)
    retriever = ForgeRetriever("http://claims.invalid/claims", session=RangeSession(b"x" * 8))  # type: ignore[arg-type]
    queries: list[str] = []
    monkeypatch.setattr(retriever, "locations", lambda name: queries.append(name) or ["http://node.invalid/blob"])
    names = [multihash_string(CID.compute(CAR, bytes([n]))) for n in range(3)]
    for name in names:
        retriever.read_range(name, 0, 1)
    retriever.read_range(names[0], 0, 1)  # pushed out by the third: asked again
    assert queries == [*names, names[0]]
