"""SigV4 verification (not built yet beyond this interface)."""

from __future__ import annotations

from typing import Any


class SigV4Authenticator:
    def __init__(self, credentials: dict[str, str], region: str) -> None:
        self.credentials = credentials
        self.region = region

    def authenticate(self, request: Any) -> Any:
        raise NotImplementedError
