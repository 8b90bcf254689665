"""Reading blobs back from Forge: the indexer's ``GET /claims`` names where a blob
is (``assert/location``), the bytes come from that URL, and they are kept only
if their sha2-256 matches the blob's multihash.

Failure contract: every HTTP call waits at most ``timeout`` seconds for any one
network step; a failed query, an unreachable location, an error status or bytes
that do not match are retried (``attempts`` rounds in all, backoff doubling from
``BACKOFF_SECONDS``), then :class:`BlobUnavailableError` (S3: 503) names the blob and says what
the last round saw.  Unverified bytes are never returned."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import requests

from moto_forge.cache import BoundedCache
from moto_forge.errors import BlobUnavailableError, ForgeError
from moto_forge.ipld.car import read_variant_car
from moto_forge.ipld.cid import CAR, CID, SHA2_256
from moto_forge.ipld.multibase import multibase_decode
from moto_forge.ucan.ucan import UCAN

QUERY_RESULT = "index/query/result@0.1"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_ATTEMPTS = 3
BACKOFF_SECONDS = 0.25
LOCATION_CACHE_ENTRIES = 4096
"""Blobs whose location URLs :meth:`ForgeRetriever.read_range` remembers (least recently used go)."""
LOCATION_CACHE_SECONDS = 600.0
"""How long a remembered location is used before the indexer is asked again."""


class ForgeRetriever:
    """Fetches whole blobs by multihash string (``z...``) through an indexer's claims."""

    def __init__(
        self,
        claims_url: str,
        session: requests.Session | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        self.claims_url = claims_url
        self.http = session or requests.Session()
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self._locations: BoundedCache[str, tuple[float, list[str]]] = BoundedCache(LOCATION_CACHE_ENTRIES)

    def locations(self, name: str) -> list[str]:
        """URLs the indexer's location claims give for blob ``name``."""
        digest = multibase_decode(name)
        try:
            response = self.http.get(self.claims_url, params={"multihash": name}, timeout=self.timeout)
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
        """The whole blob, verified against its multihash (see the module's failure contract)."""
        sha256 = multibase_decode(name)[2:]
        return self._retrying(name, lambda url: self._get_verified(url, sha256), remember=False)

    def read_range(self, name: str, offset: int, length: int) -> bytes:
        """``length`` bytes of blob ``name`` at ``offset``, by a ranged GET of its location
        (remembered: :data:`LOCATION_CACHE_ENTRIES`, :data:`LOCATION_CACHE_SECONDS`).  Not
        verified here: the caller checks each block against its CID.  Retried as
        :meth:`fetch`; :class:`BlobUnavailableError` once every attempt failed."""
        return self._retrying(name, lambda url: self._get_range(url, offset, length), remember=True)

    def _retrying(self, name: str, get: Callable[[str], tuple[bytes | None, str]], *, remember: bool) -> bytes:
        """``get`` from blob ``name``'s locations until one answers (the module's failure
        contract); ``remember``: locations come from (and go to) the location memory, which
        a failed round forgets."""
        seen: list[str] = []
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                self._locations.pop(name)
            seen = []
            try:
                urls = self._cached_locations(name) if remember else self.locations(name)
            except ForgeError as exc:
                seen.append(str(exc))
                continue
            if not urls:
                seen.append("the indexer knows no location")
            for url in urls:
                data, problem = get(url)
                if data is not None:
                    return data
                seen.append(f"{url}: {problem}")
        blob_cid = CID(CAR, SHA2_256, multibase_decode(name)[2:])
        raise BlobUnavailableError(blob_cid, f"Forge ({self.attempts} attempt(s); last: {'; '.join(seen)})")

    def _cached_locations(self, name: str) -> list[str]:
        now = time.monotonic()
        cached = self._locations.get(name)
        if cached is not None and now - cached[0] < LOCATION_CACHE_SECONDS:
            return cached[1]
        urls = self.locations(name)
        if urls:
            self._locations.put(name, (now, urls))
        return urls

    def _get_range(self, url: str, offset: int, length: int) -> tuple[bytes | None, str]:
        headers = {"range": f"bytes={offset}-{offset + length - 1}"}
        try:
            response = self.http.get(url, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            return None, f"unreachable ({type(exc).__name__})"
        if response.status_code == 206:
            data = response.content
        elif response.status_code == 200:  # a node that ignores ranges: the whole blob
            data = response.content[offset : offset + length]
        else:
            return None, f"HTTP {response.status_code}"
        if len(data) != length:
            return None, f"{len(data)} bytes where {length} were asked for"
        return data, ""

    def _get_verified(self, url: str, sha256: bytes) -> tuple[bytes | None, str]:
        try:
            response = self.http.get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            return None, f"unreachable ({type(exc).__name__})"
        if response.status_code != 200:
            return None, f"HTTP {response.status_code}"
        if hashlib.sha256(response.content).digest() != sha256:
            return None, "bytes do not match the multihash"
        return response.content, ""
