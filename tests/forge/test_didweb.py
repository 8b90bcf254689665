"""did:web resolution of the upload service's key: the document URL, what a document
must hold, and the cache (a fake HTTP session; the real peer's document is read in
tests/forge/test_serve_forge.py)."""

from typing import Any

import pytest

from moto_forge.forge.didweb import CACHE_SECONDS, DidResolutionError, DidWebResolver, document_url, key_in_document
from moto_forge.ucan.principal import Signer

DID = "did:web:up.example.org"


def document(did: str, key: str, **extra: Any) -> dict[str, Any]:
    method = {"id": f"{did}#k", "type": "Ed25519VerificationKey2020", "publicKeyMultibase": key[len("did:key:") :]}
    return {"id": did, "verificationMethod": [method], "assertionMethod": [f"{did}#k"], **extra}


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:up.storacha.network", "https://up.storacha.network/.well-known/did.json"),
        ("did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
        ("did:web:example.com:user:alice", "https://example.com/user/alice/did.json"),
    ],
)
def test_document_url(did: str, url: str) -> None:
    assert document_url(did) == url


@pytest.mark.parametrize("did", ["did:key:z6Mk", "did:web:", "did:web:a/b", "did:web:host::x"])
def test_document_url_refuses(did: str) -> None:
    with pytest.raises(DidResolutionError):
        document_url(did)


def test_key_in_document_prefers_the_assertion_method() -> None:
    wanted, other = Signer.generate().did, Signer.generate().did
    doc = document(DID, wanted)
    doc["verificationMethod"].insert(0, {"id": f"{DID}#other", "publicKeyMultibase": other[len("did:key:") :]})
    assert key_in_document(DID, doc).did == wanted


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "did:web:someone.else"},
        {"verificationMethod": []},
        {"verificationMethod": [{"id": f"{DID}#k", "publicKeyMultibase": "zNotAKey"}]},
    ],
)
def test_key_in_document_refuses(broken: dict[str, Any]) -> None:
    doc = {**document(DID, Signer.generate().did), **broken}
    with pytest.raises(DidResolutionError):
        key_in_document(DID, doc)


class FakeResponse:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self._body = body
        self.content = b"{}"

    def json(self) -> Any:
        return self._body


class FakeSession:
    def __init__(self, *answers: FakeResponse) -> None:
        self.answers = list(answers)
        self.urls: list[str] = []

    def get(self, url: str, **_: Any) -> FakeResponse:
        self.urls.append(url)
        return self.answers.pop(0)


def test_resolver_caches_then_reads_again() -> None:
    first, second = Signer.generate().did, Signer.generate().did
    session = FakeSession(FakeResponse(200, document(DID, first)), FakeResponse(200, document(DID, second)))
    now = [0.0]
    resolver = DidWebResolver(DID, session=session, clock=lambda: now[0])  # type: ignore[arg-type]
    assert resolver().did == first
    now[0] = CACHE_SECONDS - 1
    assert resolver().did == first  # cached: one read
    assert session.urls == ["https://up.example.org/.well-known/did.json"]
    now[0] = CACHE_SECONDS + 1
    assert resolver().did == second  # expired: read again (a rotated key is picked up)
    assert len(session.urls) == 2


def test_resolver_errors_name_the_did() -> None:
    resolver = DidWebResolver(DID, "http://127.0.0.1:9/doc", session=FakeSession(FakeResponse(404, None)))  # type: ignore[arg-type]
    with pytest.raises(DidResolutionError, match=r"did:web:up\.example\.org .*HTTP 404"):
        resolver()


def test_a_did_key_resolves_to_itself() -> None:
    key = Signer.generate().did
    assert DidWebResolver(key, session=FakeSession())().did == key  # type: ignore[arg-type]
