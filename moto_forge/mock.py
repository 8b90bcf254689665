"""``mock_forge``: moto's ``mock_aws`` with S3 on moto_forge.

It is ``mock_aws`` (moto's ``MockAWS``: the same decorator forms, bare or called, on
functions, classes and ``unittest.TestCase``, and as a context manager; the same fake
credentials; the same interception of botocore and ``requests``, so no request leaves
the machine; every other service moto's in-memory one, reset as moto resets it) plus one
change: botocore requests for S3 are handed, in process and without a port, to
moto_forge's S3 application (the one ``moto-forge serve`` runs: aws-chunked bodies,
checksums, streaming reads, moto's S3 parsing and rendering over the Forge backend), and
the Forge backend is installed as moto's S3 backend (:mod:`moto_forge.s3.registration`), so
moto's other services that read or write S3 (Firehose, Lambda, CloudFormation, ...) see the
same buckets.

Data lives in ``data_dir`` (kept across uses when you pass one) or in a temporary
directory made when the outermost ``mock_forge`` starts and removed when it stops; a
temporary store is never fsynced (nothing in it outlives the test, and syncs would
dominate a small test's time).
Nothing of moto_forge stays in moto's global state once it stops.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import tempfile
import threading
import urllib.parse
from typing import Any, TypeVar, overload

from moto.core.models import MockAWS, botocore_stubber

from moto_forge.bucket.service import BucketService
from moto_forge.compose import compose
from moto_forge.config import forge_settings_from_env
from moto_forge.s3 import registration
from moto_forge.s3.addressing import IN_PROCESS, RAW_HEADERS
from moto_forge.s3.app import S3App
from moto_forge.s3.moto_iam import SIGNED_URL
from moto_forge.server import ServerConfig

F = TypeVar("F")

S3_URL = re.compile(
    r"^https?://(?:(?P<bucket>[a-z0-9.\-_]+)\.)?s3(?!-control|tables|vectors)(?:[.-][a-z0-9-]+)*"
    r"\.(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)"
    r"(?::\d+)?(?P<path>/[^?]*)?(?:\?(?P<query>.*))?$"
)
"""S3's endpoints in every partition (aws, aws-cn, the isolated ones), global and regional,
path-style or ``<bucket>.`` virtual-host style."""
S3_HOST = "s3.amazonaws.com"


def s3_environ(method: str, url: str, headers: Any, body: Any) -> dict[str, Any] | None:
    """A WSGI environ for a botocore S3 request (path-style, Host ``s3.amazonaws.com``), or
    ``None`` if ``url`` is not S3's."""
    found = S3_URL.match(url)
    if found is None:
        return None
    raw_path = found.group("path") or "/"
    if found.group("bucket"):
        raw_path = "/" + found.group("bucket") + raw_path
    query = found.group("query") or ""
    if body is None:
        data = b""
    elif isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:  # a file-like (streamed uploads, aws-chunked)
        data = body.read()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": urllib.parse.unquote_to_bytes(raw_path).decode("latin-1"),
        "RAW_URI": raw_path + ("?" + query if query else ""),
        "QUERY_STRING": query,
        "SERVER_NAME": S3_HOST,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(data),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(data)),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if key == "CONTENT_TYPE":
                environ[key] = text
            continue
        environ["HTTP_" + key] = text
    environ["HTTP_HOST"] = S3_HOST
    sent = [(str(name), value.decode("latin-1") if isinstance(value, bytes) else str(value))
            for name, value in headers.items() if str(name).lower() not in ("host", "content-length")]  # fmt: skip
    environ[RAW_HEADERS] = [*sent, ("Host", S3_HOST), ("Content-Length", environ["CONTENT_LENGTH"])]
    environ[IN_PROCESS] = True
    environ[SIGNED_URL] = url
    return environ


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """Run one request through a WSGI app; its status, headers and whole body."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started[:] = [status, headers]

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started
    return int(status.split(" ", 1)[0]), dict(headers), body


class _Installed:
    """The one S3 app in use while any ``mock_forge`` is active (they nest)."""

    lock = threading.Lock()
    depth = 0
    app: S3App | None = None
    tmp: str | None = None


class ForgeMock(MockAWS):
    """moto's ``MockAWS`` (see the module doc) that sends S3 to moto_forge while active."""

    def __init__(
        self,
        data_dir: str | None = None,
        registry_url: str | None = None,
        config: dict[str, Any] | None = None,
        **forge: str,
    ) -> None:
        """``forge`` takes ``forge_url``, ``forge_did``, ``forge_key``, ``forge_did_document``,
        ``forge_claims``, ``write_mode``
        (default: the ``MOTO_FORGE_UPLOAD_*`` environment, as ``moto-forge serve``)."""
        super().__init__(config)  # type: ignore[arg-type]
        self._aws = MockAWS(config)  # type: ignore[arg-type]
        self.data_dir = data_dir
        self.registry_url = registry_url
        self.forge: dict[str, Any] = {**forge_settings_from_env(), **forge}

    @property
    def service(self) -> BucketService | None:
        """The bucket service S3 calls reach while a ``mock_forge`` is active."""
        return _Installed.app.service if _Installed.app is not None else None

    def start(self, reset: bool = True) -> None:
        self._aws.start(reset=reset)  # moto's own counters: nesting with mock_aws stays consistent
        with _Installed.lock:
            _Installed.depth += 1
            if _Installed.depth == 1:
                if reset or _Installed.app is None:
                    self._discard()
                    self._open()
                assert _Installed.app is not None
                registration.install(_Installed.app.backends)
                self._intercept()

    def stop(self, remove_data: bool = True) -> None:
        with _Installed.lock:
            _Installed.depth -= 1
            if _Installed.depth == 0:
                if "process_request" in vars(botocore_stubber):
                    del botocore_stubber.process_request
                if _Installed.app is not None:
                    registration.uninstall(_Installed.app.backends)
                if remove_data:  # else kept for the next start(reset=False): moto's setUp -> test
                    self._discard()
        self._aws.stop(remove_data=remove_data)

    def _open(self) -> None:
        data_dir = self.data_dir
        if data_dir is None:
            _Installed.tmp = data_dir = tempfile.mkdtemp(prefix="mock-forge-")
        config = ServerConfig(port=0, data_dir=data_dir, registry_url=self.registry_url, quiet=True, **self.forge)
        throwaway = self.data_dir is None and self.registry_url is None
        _Installed.app = compose(config, durable=not throwaway)

    def _intercept(self) -> None:
        app = _Installed.app
        original = botocore_stubber.process_request

        def process_request(request: Any) -> Any:
            environ = s3_environ(request.method, request.url, request.headers, request.body)
            if environ is None:
                return original(request)
            return call_wsgi(app, environ)

        botocore_stubber.process_request = process_request  # type: ignore[method-assign]

    @staticmethod
    def _discard() -> None:
        app, _Installed.app = _Installed.app, None
        if app is not None:
            app.service.close()
        if _Installed.tmp is not None:
            shutil.rmtree(_Installed.tmp, ignore_errors=True)
            _Installed.tmp = None


@overload
def mock_forge(func: F) -> F: ...
@overload
def mock_forge(
    func: str | None = None, registry_url: str | None = None, config: dict[str, Any] | None = None, **forge: str
) -> ForgeMock: ...
def mock_forge(
    func: Any = None, registry_url: str | None = None, config: dict[str, Any] | None = None, **forge: str
) -> Any:
    """``mock_aws`` with S3 on moto_forge (module doc): ``@mock_forge``, ``@mock_forge()``,
    ``with mock_forge():``, ``mock_forge(data_dir)`` (a string: where the data is kept)."""
    if func is None or isinstance(func, str):
        return ForgeMock(func, registry_url, config, **forge)
    return ForgeMock(None, registry_url, config, **forge)(func)
