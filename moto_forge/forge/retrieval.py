"""Reading blobs back from Forge: the indexer's ``GET /claims`` names where a blob
is (``assert/location``), the bytes come from that URL, and they are kept only
if their sha2-256 matches the blob's multihash."""

from __future__ import annotations

import hashlib

import requests

from moto_forge.errors import ForgeError, MissingBlockError
from moto_forge.ipld.car import read_variant_car
from moto_forge.ipld.cid import CAR, CID, SHA2_256
from moto_forge.ipld.multibase import multibase_decode
from moto_forge.ucan.ucan import UCAN

QUERY_RESULT = "index/query/result@0.1"
FETCH_TIMEOUT_SECONDS = 300


class ForgeRetriever:
    """Fetches whole blobs by multihash string (``z...``) through an indexer's claims."""

    def __init__(self, claims_url: str, session: requests.Session | None = None) -> None:
        self.claims_url = claims_url
        self.http = session or requests.Session()

    def locations(self, name: str) -> list[str]:
        """URLs the indexer's location claims give for blob ``name``."""
        digest = multibase_decode(name)
        try:
            response = self.http.get(self.claims_url, params={"multihash": name}, timeout=60)
        except requests.RequestException as exc:
            raise ForgeError(f"cannot reach the indexer at {self.claims_url}: {exc}") from exc
        if response.status_code != 200:
            raise ForgeError(f"indexer answered HTTP {response.status_code} for {name}")
        _, result, by_cid = read_variant_car(response.content, QUERY_RESULT, binary_keys=True)
        if not isinstance(result, dict):
            raise ForgeError(f"indexer answer for {name} is not a {QUERY_RESULT}")
        urls: list[str] = []
        for link in result.get("claims", []):
            claim = UCAN.decode(by_cid[link])
            for capability in claim.capabilities:
                nb = capability.nb or {}
                content = nb.get("content") or {}
                if capability.can == "assert/location" and content.get("digest") == digest:
                    urls.extend(str(u) for u in nb.get("location", []))
        return urls

    def fetch(self, name: str) -> bytes:
        """The whole blob, verified against its multihash; :class:`MissingBlockError` if nowhere."""
        digest = multibase_decode(name)
        blob_cid = CID(CAR, SHA2_256, digest[2:])
        for url in self.locations(name):
            try:
                response = self.http.get(url, timeout=FETCH_TIMEOUT_SECONDS)
            except requests.RequestException:
                continue
            if response.status_code == 200 and hashlib.sha256(response.content).digest() == digest[2:]:
                return response.content
        raise MissingBlockError(blob_cid, "Forge (no location served matching bytes)")
