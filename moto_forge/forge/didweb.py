"""Resolving the upload service's ``did:web`` to the ``did:key`` its receipts are signed with.

A Storacha service is named ``did:web:HOST`` and signs with an ed25519 key; its DID
document (``https://HOST/.well-known/did.json``, W3C did:web) lists that key as a
verification method with a ``publicKeyMultibase``.  :class:`DidWebResolver` reads it
(from an explicit document URL where one is configured: a private deployment, a test
peer on plain HTTP), keeps the answer for :data:`CACHE_SECONDS`, and refuses documents
that do not name the DID asked for or hold no ed25519 key.  A ``did:key`` resolves to
itself.  A configured ``--forge-key`` overrides all of this (the connection then never
resolves).
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import requests

from moto_forge.errors import ForgeError
from moto_forge.ucan.principal import PrincipalError, Verifier

CACHE_SECONDS = 3600.0
"""How long a resolved key is used before the document is read again."""
MAX_DOCUMENT_BYTES = 64 << 10


class DidResolutionError(ForgeError):
    """A DID could not be resolved to an ed25519 key (says which DID and why)."""


def document_url(did: str) -> str:
    """The W3C did:web document URL of ``did`` (``did:web:host%3Aport:path`` ->
    ``https://host:port/path/did.json``; no path -> ``/.well-known/did.json``)."""
    if not did.startswith("did:web:"):
        raise DidResolutionError(f"{did} is not a did:web")
    parts = [urllib.parse.unquote(part) for part in did[len("did:web:") :].split(":")]
    host, path = parts[0], parts[1:]
    if not host or "/" in host or any(not p or "/" in p for p in path):
        raise DidResolutionError(f"{did} is not a valid did:web")
    return f"https://{host}/{'/'.join(path)}/did.json" if path else f"https://{host}/.well-known/did.json"


def key_in_document(did: str, document: Any) -> Verifier:
    """The ed25519 key ``document`` (a parsed DID document) gives ``did``: the first
    verification method that ``assertionMethod`` or ``authentication`` names (any, if they
    name none) with a ``publicKeyMultibase`` of an ed25519 key."""
    if not isinstance(document, dict) or document.get("id") != did:
        raise DidResolutionError(
            f"the DID document read for {did} is for {document.get('id') if isinstance(document, dict) else 'nothing'}"
        )
    methods = [m for m in document.get("verificationMethod") or [] if isinstance(m, dict)]
    named = {
        (ref if isinstance(ref, str) else ref.get("id") if isinstance(ref, dict) else None)
        for relation in ("assertionMethod", "authentication")
        for ref in document.get(relation) or []
    }
    preferred = [m for m in methods if m.get("id") in named] or methods
    for method in preferred:
        multibase = method.get("publicKeyMultibase")
        if isinstance(multibase, str):
            try:
                return Verifier.parse(f"did:key:{multibase}")
            except PrincipalError:
                continue
    raise DidResolutionError(f"the DID document of {did} holds no ed25519 publicKeyMultibase")


class DidWebResolver:
    """Resolves one service DID to its key, cached (module doc); thread-safe."""

    def __init__(
        self,
        did: str,
        url: str | None = None,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.did = did
        self.url = url or (document_url(did) if did.startswith("did:web:") else None)
        self.timeout = timeout
        self.http = session or requests.Session()
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[Verifier, float] | None = None

    def __call__(self) -> Verifier:
        """The service's key (read again once :data:`CACHE_SECONDS` have passed)."""
        if self.did.startswith("did:key:"):
            return Verifier.parse(self.did)
        with self._lock:
            if self._cached is not None and self.clock() - self._cached[1] < CACHE_SECONDS:
                return self._cached[0]
            key = self._read()
            self._cached = (key, self.clock())
            return key

    def _read(self) -> Verifier:
        if self.url is None:
            raise DidResolutionError(f"{self.did} is neither a did:web nor a did:key: give --forge-key")
        try:
            response = self.http.get(self.url, timeout=self.timeout, headers={"accept": "application/did+json"})
        except requests.RequestException as exc:
            raise DidResolutionError(f"cannot read the DID document of {self.did} at {self.url}: {exc}") from exc
        if response.status_code != 200:
            raise DidResolutionError(
                f"the DID document of {self.did} at {self.url} answered HTTP {response.status_code}"
            )
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise DidResolutionError(f"the DID document of {self.did} at {self.url} is over {MAX_DOCUMENT_BYTES} bytes")
        try:
            document = response.json()
        except ValueError as exc:
            raise DidResolutionError(f"the DID document of {self.did} at {self.url} is not JSON") from exc
        return key_in_document(self.did, document)
