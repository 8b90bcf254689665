"""One port for every AWS service, as ``moto_server`` has: S3 goes to moto_forge's S3 app
(Forge-backed, persistent), every other service to moto's own applications (in memory),
``/moto-api/`` to moto's dashboard and API.

Routing, decided from cheap signals (an S3 body is never read to decide):

0. ``GET /-/health``: the server's health (no bucket can be named ``-``), answered
   without credentials; ``/-/console/...``: the web console (:mod:`moto_forge.console`),
   when the server has one.
1. ``/moto-api/reset``: moto's reset, plus emptying the Forge store, only when the
   server allows it (``--allow-reset``); refused (409) otherwise, since on a persistent
   store a reset destroys data.
2. ``/moto-api/...``: moto's API application (dashboard, state, ...).
3. A SigV4 ``Authorization`` header or ``X-Amz-Credential`` query parameter: the
   service its credential scope names; ``s3`` is S3 unless it is S3 Control
   (``/v20180820/``), which is moto's.
4. An ``X-Amz-Target`` header (JSON-protocol services): moto.
5. An unsigned form POST (``application/x-www-form-urlencoded``, at most
   :data:`MAX_FORM_BODY` bytes) with an ``Action=``: moto's dispatcher infers the service.
6. Anything else: S3.

Whatever moto's dispatcher would hand to its own (in-memory) S3 application goes to
moto_forge's S3 app instead: moto's S3 is never served.  With credentials configured
(tenants), everything but S3 is refused with 403: moto's other services check no
signatures, and an operator who configured keys expects every request to be checked.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from moto_forge import __version__
from moto_forge.console.app import CONSOLE_PATH
from moto_forge.errors import ForgeError

log = logging.getLogger("moto_forge.services")

MAX_FORM_BODY = 64 << 10
"""The largest unsigned form body read to find its service (AWS query-protocol calls are small)."""
S3_SERVICES = {"s3"}
RESET_PATH = "/moto-api/reset"
HEALTH_PATH = "/-/health"

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def signing_service(environ: dict[str, Any]) -> str | None:
    """The service a SigV4 request's credential scope names (lower-case), if it has one."""
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    scope = ""
    if auth.startswith("AWS4-HMAC-SHA256 "):
        for item in auth[len("AWS4-HMAC-SHA256 ") :].split(","):
            name, _, value = item.strip().partition("=")
            if name == "Credential":
                scope = value
    else:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING") or "")
        scope = (query.get("X-Amz-Credential") or [""])[0]
    parts = scope.split("/")
    return parts[3].lower() if len(parts) == 5 else None


def is_s3(environ: dict[str, Any]) -> bool | None:
    """``True``: S3; ``False``: another service; ``None``: an unsigned form POST whose
    service only its body tells (rules 3-6 of the module doc)."""
    path = environ.get("PATH_INFO") or "/"
    service = signing_service(environ)
    if service is not None:
        return service in S3_SERVICES and not path.startswith("/v20180820/")
    if environ.get("HTTP_X_AMZ_TARGET"):
        return False
    form = (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded")
    length = environ.get("CONTENT_LENGTH") or ""
    if environ.get("REQUEST_METHOD") == "POST" and form and length.isdigit() and 0 < int(length) <= MAX_FORM_BODY:
        return None
    return True


class ServiceRouter:
    """The WSGI application of ``moto-forge serve`` (see the module doc)."""

    def __init__(
        self, s3: Any, *, allow_reset: bool = False, other_services: bool = True, console: WsgiApp | None = None
    ) -> None:
        self.s3 = s3
        self.console = console
        self.allow_reset = allow_reset
        self.other_services = other_services
        self._dispatcher: Any = None
        self._lock = threading.Lock()

    @property
    def service(self) -> Any:
        """The S3 app's bucket service."""
        return self.s3.service

    def dispatcher(self) -> Any:
        """moto's own dispatcher (built on first use: importing every backend takes a while)."""
        with self._lock:
            if self._dispatcher is None:
                from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

                self._dispatcher = DomainDispatcherApplication(create_backend_app)
            return self._dispatcher

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self._health(environ, start_response)
        if self.console is not None and (path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/")):
            return self.console(environ, start_response)
        if path.startswith("/moto-api"):
            if not self.other_services:
                return _refuse(start_response, 403, "AccessDenied", "/moto-api/ is not served when credentials are set")
            if path.rstrip("/") == RESET_PATH:
                return self._reset(environ, start_response)
            return self.dispatcher()(environ, start_response)  # type: ignore[no-any-return]
        verdict = is_s3(environ)
        if verdict is True:
            return self.s3(environ, start_response)  # type: ignore[no-any-return]
        if not self.other_services:
            return _refuse(start_response, 403, "AccessDenied", "only S3 is served when credentials are set")
        app = self.dispatcher().get_application(environ)  # reads a form body (bounded above), puts it back
        if getattr(app, "service", None) in S3_SERVICES:
            return self.s3(environ, start_response)  # type: ignore[no-any-return]
        return app(environ, start_response)  # type: ignore[no-any-return]

    def _health(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """``GET /-/health``, answered without credentials (for load balancers and container
        health checks; it tells nothing about any bucket): 200 when the registry answers,
        503 when it does not."""
        try:
            self.service.registry.gc_epoch()
            status, document = "200 OK", {"status": "ok", "version": __version__}
        except ForgeError as exc:
            status, document = "503 Service Unavailable", {"status": "unavailable", "error": str(exc)}
        finally:
            self.service.release_connection()
        body = json.dumps(document).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _reset(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.dispatcher()(environ, start_response)  # type: ignore[no-any-return]
        if not self.allow_reset:
            message = "reset is disabled: this server keeps its data (start it with --allow-reset to allow it)"
            return _refuse(start_response, 409, "ResetDisabled", message)
        from moto_forge.bucket.maintenance import empty_all

        try:
            removed = empty_all(self.service)
        finally:
            self.service.release_connection()  # this thread's pooled connection goes back now
        log.info("reset: removed %d buckets", removed)
        environ = dict(environ)
        environ["wsgi.input"] = io.BytesIO(b"")
        environ["CONTENT_LENGTH"] = "0"
        return self.dispatcher()(environ, start_response)  # type: ignore[no-any-return]


def _refuse(start_response: Any, status: int, code: str, message: str) -> list[bytes]:
    body = json.dumps({"error": code, "message": message}).encode()
    reason = {403: "Forbidden", 409: "Conflict"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
