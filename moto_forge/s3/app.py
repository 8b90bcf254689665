"""The S3 WSGI application: routing, authentication, the streaming data path,
moto for everything else, and one place where errors become S3 responses.

Request path::

    socket -> werkzeug server -> S3App.__call__
        -> addressing: virtual-host (bucket.<domain>) or path-style -> (bucket, key)
        -> SigV4 check (when credentials are configured)
        -> PutObject / UploadPart / GetObject / HeadObject: s3/objects.py (streaming)
        -> anything else: moto's S3Response (request parsing, XML rendering)
           with ForgeS3Backend as its backend
        -> BucketService -> MST / CARs / registry
    errors anywhere -> S3 XML error with the code and status S3 uses
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from xml.parsers.expat import ExpatError

from moto.core.request import Request as MotoRequest
from moto.s3.exceptions import S3ClientError
from moto.s3.responses import S3Response
from werkzeug.wrappers import Request
from werkzeug.wsgi import ClosingIterator

from moto_forge.bucket.service import BucketService
from moto_forge.errors import (
    ForgeError,
    InvalidArgument,
    InvalidRequest,
    MalformedXML,
    MethodNotAllowed,
    S3Error,
)
from moto_forge.ipld.cid import CID
from moto_forge.s3 import listing, objects, tenancy, xmlcheck
from moto_forge.s3.backend import ForgeS3Backend, read_root, request_headers, written_root
from moto_forge.s3.errors import classify, clean_xml, error_xml, request_id
from moto_forge.s3.tenancy import Tenancy

log = logging.getLogger("moto_forge.s3")

ROOT_HEADER = objects.ROOT_HEADER
ROOT_QUERY = "forge-root"
OBJECT_SUBRESOURCES = {
    "acl", "tagging", "legal-hold", "retention", "attributes", "restore", "select", "torrent", "uploads", "uploadId",
}  # fmt: skip


class ServerRequest(MotoRequest):
    """moto's normalized request, marked as received by a real WSGI server."""

    from_wsgi_server = True


def make_response_class(backend: ForgeS3Backend) -> type[S3Response]:
    """moto's S3Response bound to our backend instead of moto's global in-memory one."""

    class ForgeS3Response(S3Response):
        @property
        def backend(self) -> ForgeS3Backend:
            return backend

    return ForgeS3Response


class S3App:
    """The WSGI application (see the module docstring).

    ``domains`` are the host names (without port) that address buckets
    virtual-host style as ``<bucket>.<domain>``; any other host is path-style.
    ``authenticator`` (from :mod:`moto_forge.s3.sigv4`) checks signatures, or
    is ``None`` to accept every request as moto does.  ``tenancy`` binds each
    access key to a space (:mod:`moto_forge.s3.tenancy`); authenticated
    requests only reach their own space's buckets.
    """

    def __init__(
        self,
        service: BucketService,
        *,
        domains: Iterable[str] = ("localhost", "s3.amazonaws.com", "s3.localhost.localstack.cloud"),
        authenticator: Any = None,
        tenancy: Tenancy | None = None,
    ) -> None:
        self.service = service
        self.tenancy = tenancy
        self.backend = ForgeS3Backend(service)
        self.response_class = make_response_class(self.backend)
        self.domains = tuple(domains)
        self.authenticator = authenticator

    # ---- addressing ------------------------------------------------------

    def address(self, request: Request) -> tuple[str | None, str | None, bool]:
        """``(bucket, key, virtual_host)`` of a request."""
        host = (request.headers.get("Host") or "").split(":")[0].lower()
        path = request.path  # already percent-decoded by werkzeug
        for domain in self.domains:
            suffix = "." + domain
            if host.endswith(suffix) and len(host) > len(suffix):
                return host[: -len(suffix)], path[1:] or None, True
        parts = path[1:].split("/", 1)
        bucket = parts[0] or None
        key = parts[1] if len(parts) > 1 and parts[1] else None
        return bucket, key, False

    # ---- WSGI ------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        rid = request_id()
        read_token = read_root.set(None)
        written_token = written_root.set(None)
        headers_token = request_headers.set(dict(request.headers))
        principal_token = tenancy.principal.set(tenancy.UNCHECKED)
        try:
            response = self._handle(request, environ)
        except ForgeError as exc:
            response = self._error(exc, request, rid)
        except S3ClientError as exc:  # raised by moto's own parsing
            response = objects.Response(
                400, {"Content-Type": "application/xml"}, [error_xml(exc.code, exc.message, rid)]
            )
        except Exception:  # never a traceback to the client
            log.exception("internal error handling %s %s", request.method, request.path)
            message = "We encountered an internal error. Please try again."
            response = objects.Response(
                500, {"Content-Type": "application/xml"}, [error_xml("InternalError", message, rid)]
            )
        finally:
            root = written_root.get()
            read_root.reset(read_token)
            written_root.reset(written_token)
            request_headers.reset(headers_token)
            tenancy.principal.reset(principal_token)
        headers = dict(response.headers)
        headers["x-amz-request-id"] = rid
        if root is not None:
            headers[ROOT_HEADER] = str(root)
        if request.method == "HEAD":
            body: Iterable[bytes] = []
        else:
            body = response.body
            if isinstance(body, (list, tuple)) and not any(k.lower() == "content-length" for k in headers):
                # A known length keeps the connection alive (no chunked encoding, no close).
                headers["Content-Length"] = str(sum(len(piece) for piece in body))
        start_response(f"{response.status} {_reason(response.status)}", list(headers.items()))
        # The registry connection this request thread took goes back to the pool once the
        # body (which may read blocks while it streams) has been sent.
        return ClosingIterator(body, self.service.registry.release)

    def _error(self, exc: ForgeError, request: Request, rid: str) -> objects.Response:
        code, status, message, details = classify(exc)
        if status >= 500:
            log.error("%s %s -> %s: %s", request.method, request.path, code, exc)
        body = b"" if request.method == "HEAD" else error_xml(code, message, rid, details)
        return objects.Response(status, {"Content-Type": "application/xml"}, [body])

    def _handle(self, request: Request, environ: dict[str, Any]) -> objects.Response:
        bucket, key, virtual = self.address(request)
        verify_chunk = None
        if self.authenticator is not None:
            auth = self.authenticator.authenticate(request, bucket if virtual else None)
            verify_chunk = auth.verify_chunk
            if self.tenancy is not None:
                who = self.tenancy.principal(auth.access_key)
                tenancy.principal.set(who)
                if bucket is not None:
                    creating = request.method == "PUT" and key is None and not request.args
                    copy_source = request.headers.get("x-amz-copy-source")
                    tenancy.check_access(self.service.registry, who, bucket, creating, copy_source)
        root_text = request.headers.get(ROOT_HEADER) or request.args.get(ROOT_QUERY)
        if root_text:
            try:
                read_root.set(CID.decode(root_text))
            except ForgeError as exc:
                raise InvalidArgument(f"{ROOT_HEADER} is not a CID: {root_text}", ArgumentName=ROOT_HEADER) from exc
        method = request.method
        args = request.args
        if bucket is not None and key is not None and not (OBJECT_SUBRESOURCES & set(args)) - {"uploadId"}:
            copy = "x-amz-copy-source" in request.headers
            if method == "PUT" and not copy and "uploadId" in args and "partNumber" in args:
                return objects.upload_part(
                    self.service, request, bucket, args["uploadId"], args["partNumber"], verify_chunk
                )
            if method == "PUT" and not copy and "uploadId" not in args:
                response, root = objects.put_object(self.service, request, bucket, key, verify_chunk)
                written_root.set(root)
                return response
            if method == "PUT" and not copy and ("uploadId" in args) != ("partNumber" in args):
                raise InvalidArgument("UploadPart needs both uploadId and partNumber", ArgumentName="partNumber")
            if method in ("GET", "HEAD") and "uploadId" not in args:
                return objects.get_object(self.service, request, bucket, key, read_root.get(), method == "HEAD")
        if method == "GET" and bucket is not None and key is None and set(args) <= listing.LISTING_PARAMS:
            return listing.list_objects(self.service, request, bucket, read_root.get())
        return self._moto(request, environ, bucket, key, virtual)

    def _default_region_create(self, request: Request) -> Request:
        """CreateBucket with ``LocationConstraint`` = us-east-1 (s3fs sends it) is the default
        region asked for explicitly: accepted, as an empty configuration."""
        body = request.get_data(cache=True)
        if body and _location_constraint(body) == "us-east-1":
            environ = dict(request.environ)
            environ["wsgi.input"] = io.BytesIO(b"")
            environ["CONTENT_LENGTH"] = "0"
            return ServerRequest(environ)
        return request

    def _moto(
        self, request: Request, environ: dict[str, Any], bucket: str | None, key: str | None, virtual: bool
    ) -> objects.Response:
        environ = dict(environ)
        if virtual:
            # moto sees every request path-style: /<bucket>/<key>.
            prefix = "/" + str(bucket)
            environ["PATH_INFO"] = prefix + request.path
            for raw in ("RAW_URI", "REQUEST_URI"):
                if raw in environ:
                    environ[raw] = prefix + environ[raw]
            environ["HTTP_HOST"] = "localhost"
        request = ServerRequest(environ)
        xml_body = set(request.args) & xmlcheck.XML_SUBRESOURCES or (key is None and request.method == "PUT")
        if self.authenticator is not None and request.method in ("PUT", "POST"):
            self.authenticator.check_payload(request, request.get_data(cache=True))
        if request.method == "PUT" and key is None and not request.args:
            request = self._default_region_create(request)
        if request.method in ("PUT", "POST") and xml_body:
            xmlcheck.check(request.get_data(cache=True), request.method, set(request.args))
        status, headers, body = self._dispatch(request, bucket, key)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if int(status) >= 400 and body:
            body = clean_xml(body)
        response_headers = {str(k): str(v) for k, v in (headers or {}).items() if k.lower() != "status"}
        return objects.Response(int(status), response_headers, [body] if body else [])

    def _dispatch(self, request: Request, bucket: str | None, key: str | None) -> Any:
        """moto's handler for the request.  moto trusts its input in places: a method or
        sub-resource it does not implement raises ``NotImplementedError`` (answered 405
        MethodNotAllowed, as S3 answers an unsupported method), and a request missing what
        it needs (a form field, an XML element, a number) raises ``KeyError`` /
        ``ValueError`` / ... deep in its parsing (answered 400 InvalidRequest).  The
        traceback goes to the server log, never to the client."""
        full_url = request.url
        handler_cls = self.response_class
        try:
            if bucket is None:
                return handler_cls.bucket_dispatch(request, full_url, dict(request.headers))
            if key is None:
                return handler_cls.ambiguous_dispatch(request, full_url, dict(request.headers))
            return handler_cls.key_dispatch(request, full_url, dict(request.headers))
        except NotImplementedError as exc:
            log.warning("not implemented: %s %s (%s)", request.method, request.path, exc)
            raise MethodNotAllowed(
                "The specified method is not allowed against this resource.", Method=request.method
            ) from exc
        except ExpatError as exc:  # an XML body moto parses itself (empty, say)
            raise MalformedXML(
                "The XML you provided was not well-formed or did not validate against our published schema"
            ) from exc
        except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
            log.warning("malformed request %s %s", request.method, request.path, exc_info=True)
            raise InvalidRequest(f"The request is missing or has a malformed part ({type(exc).__name__})") from exc


def _location_constraint(body: bytes) -> str | None:
    try:
        root = xmlcheck.parse(body)
    except S3Error:
        return None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "LocationConstraint":
            return element.text
    return None


def _xml_response(status: int, body: bytes) -> objects.Response:
    return objects.Response(status, {"Content-Type": "application/xml"}, [body])


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


__all__ = ["S3App", "S3Error"]
