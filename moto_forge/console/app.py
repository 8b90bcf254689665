"""The console's WSGI application, mounted at :data:`CONSOLE_PATH` by the service router.

Who may look:
- A server that checks no signatures has an open console, as its S3 is open.
- Otherwise the console asks for an access key and its secret (the same credentials
  S3 takes, the tenants file's included), and keeps a signed session cookie
  (:mod:`moto_forge.console.session`; ``HttpOnly``, ``SameSite=Strict``).  The session's
  key is looked up on every request, so a removed tenant is logged out at once.  A
  tenant sees its own space's buckets only, as in S3.

What it does:
- Reads (pages, downloads, CAR exports) come from the bucket service, after one check
  that the requester may use the bucket named in the URL (the same name then read).
- Writes (uploads, deletes) are not made here: the page asks for a presigned S3 URL
  (``POST api/presign``, with the session's CSRF token) signed with the logged-in key,
  and the browser sends the request to S3 itself, so every write is decided by the S3
  app exactly as for any other client (tenancy, Object Lock, versioning, policies) and
  is recorded in the history under that key.

Every page is rendered by Jinja2 with autoescaping (keys and metadata are the
client's text); every asset is in the package (``static/``); responses carry a strict
Content-Security-Policy and ``Referrer-Policy: no-referrer`` (presigned URLs never leak).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import tempfile
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Request, Response

from moto_forge import __version__
from moto_forge.bucket.snapshots import export_car
from moto_forge.console import views
from moto_forge.console.session import Sessions
from moto_forge.errors import ForgeError, InvalidArgument, NoSuchBucket, S3Error
from moto_forge.ipld.cid import CID
from moto_forge.registry import BucketRecord
from moto_forge.s3.tenancy import UNCHECKED, Principal

log = logging.getLogger("moto_forge.console")

CONSOLE_PATH = "/-/console"
COOKIE = "moto_forge_console"
OPEN_SESSION = "open"
"""The session name of an open console (CSRF tokens are still required for the API)."""
PRESIGN_SECONDS = 900
HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchKey", "NoSuchVersion", "NoSuchSnapshot", "MethodNotAllowed"}


@dataclass(frozen=True)
class ForgeInfo:
    """What the Forge page says about the server's setup."""

    url: str | None
    write_mode: str
    space: str | None
    """The server's own space DID (``None`` before an identity exists)."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the principal the console checks buckets against, and the key
    (and secret) its presigned URLs are signed with."""

    principal: Principal
    access_key: str
    secret: str
    session: str


class ConsoleApp:
    """The console (see the module doc).  ``s3`` is the S3 app it sits beside: its bucket
    service, authenticator, tenancy and tenants file are the console's too."""

    def __init__(self, s3: Any, forge: ForgeInfo, region: str = "us-east-1", session_key: bytes | None = None) -> None:
        """``session_key``: what session cookies are signed with (default: drawn now, so
        sessions end with the process; ``serve`` derives one from the server's identity, so
        every worker accepts them and they outlive a restart)."""
        self.s3 = s3
        self.service = s3.service
        self.forge = forge
        self.region = region
        self.sessions = Sessions(session_key)
        self.templates = Environment(
            loader=FileSystemLoader(os.path.join(HERE, "templates")), autoescape=select_autoescape(default=True)
        )
        self.templates.globals.update(base=CONSOLE_PATH, version=__version__, size=views.human_size,
                                      quote=urllib.parse.quote)  # fmt: skip
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._clients_lock = threading.Lock()

    @property
    def open(self) -> bool:
        """No signatures are checked: neither does the console ask for credentials."""
        return self.s3.authenticator is None

    # ---- WSGI ----------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._route(request)
        except S3Error as exc:
            status = 404 if exc.code in NOT_FOUND_CODES else exc.status
            response = self._page("error.html", None, status=status, code=exc.code, message=exc.message)
        except ForgeError as exc:  # a damaged or missing block, an unreachable Forge: said, not hidden
            log.warning("console: %s on %s %s", exc, request.method, request.path)
            response = self._page("error.html", None, status=503, code=type(exc).__name__, message=str(exc))
        except Exception:  # never a traceback to the browser
            log.exception("console error on %s %s", request.method, request.path)
            response = self._page("error.html", None, status=500, code="InternalError",
                                  message="The console hit an internal error (see the server log).")  # fmt: skip
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path[len(CONSOLE_PATH) :].strip("/")
        parts = path.split("/") if path else []
        if parts[:1] == ["static"] and len(parts) == 2 and parts[1] in STATIC:
            return self._static(parts[1])
        if parts == ["login"]:
            return self._login(request)
        viewer = self._viewer(request)
        if viewer is None:
            if request.method == "GET":
                target = urllib.parse.quote(request.full_path, safe="/?=&%")
                return _redirect(f"{CONSOLE_PATH}/login?next={target}")
            return _json({"error": "log in first"}, 401)
        if parts == ["logout"] and request.method == "POST":
            return self._logout(request, viewer)
        if parts == ["api", "presign"] and request.method == "POST":
            return self._presign(request, viewer)
        if request.method not in ("GET", "HEAD"):
            return self._page("error.html", viewer, status=405, code="MethodNotAllowed", message="GET only here")
        if not parts:
            records = [r for r in self.service.list_buckets() if viewer.principal.may_use(r.space)]
            return self._page("buckets.html", viewer, buckets=views.buckets(self.service, records))
        if parts == ["forge"]:
            return self._forge_page(viewer)
        if parts[0] == "b" and len(parts) in (2, 3):
            record = self._bucket(viewer, parts[1])
            action = parts[2] if len(parts) == 3 else "browse"
            handler = self._bucket_pages().get(action)
            if handler is not None:
                return handler(request, viewer, record)
        return self._page("error.html", viewer, status=404, code="NotFound", message="No such console page")

    def _bucket_pages(self) -> dict[str, Callable[[Request, Viewer, BucketRecord], Response]]:
        return {
            "browse": self._browse, "object": self._object, "download": self._download,
            "history": self._history, "diff": self._diff, "export": self._export,
        }  # fmt: skip

    # ---- who is looking -----------------------------------------------------------

    def _secret_of(self, access_key: str) -> str | None:
        authenticator = self.s3.authenticator
        if authenticator is None:
            return None
        if self.s3.tenant_keys is not None:
            self.s3.tenant_keys.check()  # the tenants file as it is now: a removed key stops here
        secret: str | None = authenticator.credentials.get(access_key)
        return secret

    def _viewer(self, request: Request) -> Viewer | None:
        if self.open:
            return Viewer(UNCHECKED, "console", "console", OPEN_SESSION)
        cookie = request.cookies.get(COOKIE)
        looked_up: dict[str, str | None] = {}

        def secret_of(key: str) -> str | None:
            looked_up[key] = self._secret_of(key)
            return looked_up[key]

        access_key = self.sessions.access_key(cookie, secret_of)
        secret = looked_up.get(access_key) if access_key is not None else None
        if access_key is None or cookie is None or secret is None:
            return None
        principal = self.s3.tenancy.principal(access_key) if self.s3.tenancy is not None else UNCHECKED
        return Viewer(principal, access_key, secret, cookie)

    def _bucket(self, viewer: Viewer, name: str) -> BucketRecord:
        """The bucket ``name`` if the viewer may use it (else the same 404 as a missing one:
        another tenant's bucket names are not revealed)."""
        record: BucketRecord | None = self.service.find_bucket(name)
        if record is None or not viewer.principal.may_use(record.space):
            raise NoSuchBucket(f"no bucket named {name!r} that you can see", BucketName=name)
        return record

    def _login(self, request: Request) -> Response:
        next_page = request.values.get("next") or CONSOLE_PATH + "/"
        if not next_page.startswith(CONSOLE_PATH + "/") and next_page != CONSOLE_PATH:
            next_page = CONSOLE_PATH + "/"  # never a redirect off the console
        if self.open:
            return _redirect(next_page)
        if request.method != "POST":
            return self._page("login.html", None, next=next_page, failed=False)
        access_key = request.form.get("access_key", "").strip()
        secret = self._secret_of(access_key)
        given = request.form.get("secret_key", "").encode("utf-8", "surrogatepass")
        if not access_key or secret is None or not hmac.compare_digest(secret.encode("utf-8", "surrogatepass"), given):
            return self._page("login.html", None, status=403, next=next_page, failed=True)
        response = _redirect(next_page)
        response.set_cookie(COOKIE, self.sessions.issue(access_key, secret), max_age=None, path=CONSOLE_PATH,
                            httponly=True, samesite="Strict", secure=request.scheme == "https")  # fmt: skip
        return response

    def _logout(self, request: Request, viewer: Viewer) -> Response:
        if not self.sessions.check_csrf(viewer.session, request.form.get("csrf")):
            return self._page("error.html", viewer, status=403, code="AccessDenied", message="Bad CSRF token")
        response = _redirect(f"{CONSOLE_PATH}/login")
        response.delete_cookie(COOKIE, path=CONSOLE_PATH)
        return response

    # ---- pages ----------------------------------------------------------------------

    def _browse(self, request: Request, viewer: Viewer, record: BucketRecord) -> Response:
        prefix = request.args.get("prefix", "")
        root = _root_arg(request, "root")
        view = views.folder(self.service, record.name, prefix, request.args.get("after", ""), root,
                            request.args.get("q", "").strip())  # fmt: skip
        return self._page("bucket.html", viewer, folder=view)

    def _object(self, request: Request, viewer: Viewer, record: BucketRecord) -> Response:
        key = _required(request, "key")
        page = views.object_page(self.service, record.name, key, _root_arg(request, "root"),
                                 request.args.get("version") or None)  # fmt: skip
        return self._page("object.html", viewer, obj=page, forge=self.forge)

    def _download(self, request: Request, viewer: Viewer, record: BucketRecord) -> Response:
        key = _required(request, "key")
        found = self.service.find_object(record.name, key, _root_arg(request, "root"),
                                         request.args.get("version") or None)  # fmt: skip
        manifest = found.manifest
        filename = key.rsplit("/", 1)[-1] or "object"
        headers = {
            "Content-Type": manifest.content_type or "application/octet-stream",
            "Content-Length": str(manifest.body.size),
            "Content-Disposition": f"attachment; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}",
            "ETag": manifest.etag,
        }
        body = self.service.read_body(manifest) if request.method == "GET" else iter(())
        return Response(body, 200, headers, direct_passthrough=True)

    def _history(self, request: Request, viewer: Viewer, record: BucketRecord) -> Response:
        rows, total = views.history_rows(self.service, record.name, self.forge.url is not None)
        return self._page("history.html", viewer, bucket=record.name, rows=rows, total=total, forge=self.forge)

    def _diff(self, request: Request, viewer: Viewer, record: BucketRecord) -> Response:
        old, new = _root_arg(request, "from"), _root_arg(request, "to")
        if old is None or new is None:
            raise InvalidArgument("choose two roots to compare (from= and to=)")
        page = views.diff_page(self.service, record.name, old, new)
        return self._page("diff.html", viewer, diff=page)

    def _export(self, request: Request, viewer: Viewer, record: BucketRecord) -> Response:
        root = _root_arg(request, "root")
        spool = tempfile.TemporaryFile(dir=self.service.blobs.tmp_dir)  # noqa: SIM115 - closed by _stream_file
        try:
            exported, _ = export_car(self.service, record.name, spool, root)
            size = spool.tell()
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        headers = {
            "Content-Type": "application/vnd.ipld.car; version=1",
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{record.name}-{exported}.car"',
        }
        return Response(_stream_file(spool), 200, headers, direct_passthrough=True)

    def _forge_page(self, viewer: Viewer) -> Response:
        pending, oldest = self.service.outbox_status()
        records = [r for r in self.service.list_buckets() if viewer.principal.may_use(r.space)]
        return self._page("forge.html", viewer, forge=self.forge, buckets=records, pending=pending, oldest=oldest,
                          oldest_when=views.when(oldest.created) if oldest is not None else None)  # fmt: skip

    # ---- writes: presigned URLs for the browser ------------------------------------

    def _presign(self, request: Request, viewer: Viewer) -> Response:
        if not self.sessions.check_csrf(viewer.session, request.headers.get("X-CSRF-Token")):
            return _json({"error": "bad CSRF token"}, 403)
        try:
            asked = json.loads(request.get_data(as_text=True) or "{}")
            bucket, key, method = str(asked["bucket"]), str(asked["key"]), str(asked["method"])
        except (ValueError, KeyError, TypeError):
            return _json({"error": "send JSON with bucket, key and method"}, 400)
        if method not in ("PUT", "DELETE") or not key:
            return _json({"error": "method is PUT or DELETE, and a key is needed"}, 400)
        self._bucket(viewer, bucket)
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if method == "PUT":
            params["ContentType"] = str(asked.get("content_type") or "application/octet-stream")
        client = self._client(request.host_url.rstrip("/"), viewer)
        operation = "put_object" if method == "PUT" else "delete_object"
        url = client.generate_presigned_url(operation, Params=params, ExpiresIn=PRESIGN_SECONDS, HttpMethod=method)
        return _json({"url": url, "content_type": params.get("ContentType")}, 200)

    def _client(self, endpoint: str, viewer: Viewer) -> Any:
        """A boto3 client signing as ``viewer`` for ``endpoint`` (the Host the browser used:
        the presigned URL must name the host the browser will send it to)."""
        import boto3
        from botocore.config import Config  # type: ignore[import-untyped]

        cache_key = (endpoint, viewer.access_key, viewer.secret)
        with self._clients_lock:
            client = self._clients.get(cache_key)
            if client is None:
                if len(self._clients) > 64:
                    self._clients.clear()
                client = boto3.client(
                    "s3", endpoint_url=endpoint, region_name=self.region, aws_access_key_id=viewer.access_key,
                    aws_secret_access_key=viewer.secret,
                    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
                )  # fmt: skip
                self._clients[cache_key] = client
            return client

    # ---- rendering ------------------------------------------------------------------

    def _page(self, template: str, viewer: Viewer | None, status: int = 200, **values: Any) -> Response:
        csrf = self.sessions.csrf(viewer.session) if viewer is not None else ""
        text = self.templates.get_template(template).render(viewer=viewer, open=self.open, csrf=csrf, **values)
        return Response(text, status, {"Content-Type": "text/html; charset=utf-8"})

    def _static(self, name: str) -> Response:
        with open(os.path.join(HERE, "static", name), "rb") as fh:
            data = fh.read()
        return Response(data, 200, {"Content-Type": STATIC[name], "Cache-Control": "max-age=3600"})


def _root_arg(request: Request, name: str) -> CID | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return CID.decode(value)
    except (ForgeError, ValueError) as exc:
        raise InvalidArgument(f"{name}={value[:100]!r} is not a CID") from exc


def _required(request: Request, name: str) -> str:
    value = request.args.get(name, "")
    if not value:
        raise InvalidArgument(f"the page needs {name}=")
    return value


def _redirect(location: str) -> Response:
    return Response("", 303, {"Location": location})


def _json(value: object, status: int) -> Response:
    return Response(json.dumps(value), status, {"Content-Type": "application/json"})


def _stream_file(fh: Any) -> Iterator[bytes]:
    try:
        while True:
            data = fh.read(1 << 20)
            if not data:
                return
            yield data
    finally:
        fh.close()
