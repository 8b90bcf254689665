"""Console sessions: a signed cookie naming the access key that logged in (pure).

A session is ``<access key>.<expiry>.<mac>`` where ``mac`` is HMAC-SHA256, under the
console's session key (``serve`` derives it from the server's agent key, so every worker
process accepts a session and it outlives a restart), of the access key, the expiry and a digest of the secret key
the user logged in with.  So a session ends when it expires, and when the key is
removed or its secret changes (the secret's digest no longer
matches): the console asks for the current secret on every request.  The CSRF token of
a session is another MAC of the same cookie: a form or API call carries it, and a page
on another origin cannot read it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable

SESSION_SECONDS = 12 * 3600
"""How long a console login lasts."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Sessions:
    """Issues and checks session cookies and their CSRF tokens."""

    def __init__(self, key: bytes | None = None, clock: Callable[[], float] = time.time) -> None:
        self._key = key or os.urandom(32)
        self._clock = clock

    def _mac(self, purpose: str, *parts: str) -> str:
        message = "\n".join((purpose, *parts)).encode("utf-8")
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, access_key: str, secret: str) -> str:
        """A cookie value for ``access_key`` logged in with ``secret``."""
        expiry = str(int(self._clock()) + SESSION_SECONDS)
        encoded = _b64(access_key.encode("utf-8"))
        return f"{encoded}.{expiry}.{self._mac('session', encoded, expiry, _digest(secret))}"

    def access_key(self, cookie: str | None, secret_of: Callable[[str], str | None]) -> str | None:
        """The access key a valid, unexpired ``cookie`` names, if its secret (``secret_of``,
        read now) is still the one it logged in with; else ``None``."""
        if not cookie or cookie.count(".") != 2:
            return None
        encoded, expiry, mac = cookie.split(".")
        if not expiry.isdigit() or int(expiry) < self._clock():
            return None
        try:
            access_key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        secret = secret_of(access_key)
        if secret is None:
            return None
        if not hmac.compare_digest(mac, self._mac("session", encoded, expiry, _digest(secret))):
            return None
        return access_key

    def csrf(self, cookie: str) -> str:
        """The CSRF token of session ``cookie`` (for an open console: of its fixed name)."""
        return self._mac("csrf", cookie)

    def check_csrf(self, cookie: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.csrf(cookie), token)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
