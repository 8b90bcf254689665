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
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any
from xml.parsers.expat import ExpatError

from moto.core.request import Request as MotoRequest
from moto.s3.exceptions import MissingBucket, S3ClientError
from moto.s3.notifications import S3NotificationEvent
from moto.s3.responses import S3Response
from moto.settings import s3_allow_crossdomain_access
from werkzeug.datastructures import Headers
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request
from werkzeug.wsgi import ClosingIterator

from moto_forge.access_log import OPERATION
from moto_forge.bucket.actor import current_actor
from moto_forge.bucket.service import BucketService
from moto_forge.errors import (
    AccessDenied,
    AccessForbidden,
    ForgeError,
    IncompleteBody,
    InvalidArgument,
    InvalidRequest,
    MalformedXML,
    MaxMessageLengthExceeded,
    MethodNotAllowed,
    NotImplementedByServer,
    RequestTimeout,
    S3Error,
)
from moto_forge.ipld.cid import CID
from moto_forge.registry import BucketRecord
from moto_forge.s3 import (
    actor_label,
    addressing,
    anonymous,
    cors,
    form_upload,
    listing,
    moto_iam,
    objects,
    post_policy,
    presigned,
    subresources,
    tenancy,
    xmlcheck,
)  # fmt: skip
from moto_forge.s3.acl_headers import check_acl_headers
from moto_forge.s3.backend import (
    ForgeS3Backend,
    RequestTarget,
    current_target,
    request_target,
)
from moto_forge.s3.chunked import ChunkVerifier
from moto_forge.s3.context import request_headers
from moto_forge.s3.errors import classify, clean_xml, error_xml, request_id, xml_text
from moto_forge.s3.holders import owner_account
from moto_forge.s3.keys import ForgeKey
from moto_forge.s3.operations import operation_name
from moto_forge.s3.registration import ForgeBackends, account_of_space
from moto_forge.s3.request import S3Request, SentHeaders, headers_dict
from moto_forge.s3.roots import ROOT_HEADER, ROOT_QUERY, read_root, response_root
from moto_forge.s3.tenancy import Tenancy
from moto_forge.serving import BodyTooSlow, MalformedBody

log = logging.getLogger("moto_forge.s3")

MOTO_HOST = "s3.amazonaws.com"
"""The Host moto is shown (its overrides here never read it: the bucket comes from the target)."""
MAX_MOTO_BODY = xmlcheck.MAX_XML_BODY
"""The largest body a request served by moto may carry (moto buffers bodies): its XML
configurations, DeleteObjects of 1 000 keys and CompleteMultipartUpload of 10 000 parts fit."""
OBJECT_SUBRESOURCES = frozenset(subresources.S3_OBJECT)
"""An object request naming one of these is not a plain PutObject / GetObject (moto serves it)."""


FORBIDDEN_CODES = dict.fromkeys(("AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken"), 403)
"""moto's errors raised out of its handlers that S3 answers 403 (the rest are 400)."""


class ServerRequest(MotoRequest):
    """moto's normalized request, marked as received by a real WSGI server."""

    from_wsgi_server = True


def make_response_class(backends: ForgeBackends) -> type[S3Response]:
    """moto's S3Response bound to our backends instead of moto's global in-memory ones."""

    class ForgeS3Response(S3Response):
        """moto's handlers, with the bucket and key of the request taken from the one
        decision :meth:`S3App.target` made (moto's own Host and path parsing never runs),
        and the account from the authenticated space when signatures are checked."""

        def get_current_account(self) -> str:
            who = tenancy.principal.get()
            return account_of_space(who.space) if who.checked else super().get_current_account()

        def _authenticate_and_authorize_s3_action(
            self, bucket_name: str | None = None, key_name: str | None = None
        ) -> None:
            """moto's IAM emulation, over the request as it was signed (s3/moto_iam.py)."""
            with moto_iam.as_signed(self):
                super()._authenticate_and_authorize_s3_action(bucket_name, key_name)

        def _key_response_post(
            self, request: Any, body: bytes, bucket_name: str, query: dict[str, Any], key_name: str
        ) -> Any:
            """moto's, except that a CompleteMultipartUpload's If-None-Match is left to the
            backend, which checks it inside the commit and answers a repeated completion as the
            first (moto's own check, before and outside it, refuses the repeat)."""
            if query.get("uploadId"):
                self.headers = Headers([(k, v) for k, v in self.headers.items() if k.lower() != "if-none-match"])
            return super()._key_response_post(request, body, bucket_name, query, key_name)

        @classmethod
        def account_of(cls, request: Request) -> str:
            """The account of a request S3App serves without moto, decided as for one moto
            serves (:meth:`get_current_account`, over the request's headers and query)."""
            response = cls()
            response.headers = request.headers
            response.querystring = {name: request.args.getlist(name) for name in request.args}
            return response.get_current_account()

        @property
        def backend(self) -> ForgeS3Backend:
            return backends.for_account(self.current_account)

        @staticmethod
        def subdomain_based_buckets(request: Any) -> bool:
            return False

        @property
        def is_access_point(self) -> bool:
            return False

        def parse_bucket_name_from_url(self, request: Any, url: str) -> str:
            return current_target().target.bucket or ""

        def parse_key_name(self) -> str:
            return current_target().target.key or ""

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
        tenant_keys: Any = None,
    ) -> None:
        self.service = service
        self.tenancy = tenancy
        spaces = tuple(space for space in (tenancy.spaces.values() if tenancy else ()) if space is not None)
        self.backends = ForgeBackends(service, spaces)
        """One backend per moto account (the same objects :func:`registration.install` gives moto)."""
        self.response_class = make_response_class(self.backends)
        self.domains = tuple(domains)
        self.authenticator = authenticator
        self.tenant_keys = tenant_keys
        """A :class:`~moto_forge.tenant_keys.TenantKeys` keeping the keys in step with the
        tenants file (checked at each request), or ``None``."""

    # ---- what a request names (decided once) -----------------------------

    def target(self, request: Request) -> addressing.Target:
        """The bucket and key ``request`` names: :func:`addressing.resolve` of its Host and raw
        path, after checking its query (no repeated parameter, the same reading as werkzeug's)
        and its Content-Length.  Every later step uses this value (moto included)."""
        raw_path, raw_query = addressing.raw_path_and_query(request.environ)
        pairs = addressing.query_pairs(raw_query)
        if sorted((k, v or "") for k, v in pairs) != sorted(request.args.items(multi=True)):
            raise InvalidArgument("The query string could not be read unambiguously", ArgumentName="query")
        length = str(request.environ.get("CONTENT_LENGTH") or "")
        if length and not (length.isdigit() and len(length) <= 19):
            raise InvalidArgument(f"Content-Length {length[:40]!r} is not one non-negative number",
                                  ArgumentName="Content-Length")  # fmt: skip
        host = addressing.parse_host(request.headers.get("Host"))
        return addressing.resolve(host, addressing.decode_path(raw_path), self.domains)

    # ---- WSGI ------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = S3Request(environ)
        sent = addressing.headers_as_sent(environ)
        if sent is not None:  # every later step reads the headers as sent ("_" in names kept)
            request.headers = SentHeaders(sent)
        rid = request_id()
        read_token = read_root.set(None)
        root_token = response_root.set(None)
        headers_token = request_headers.set(headers_dict(request.headers))
        target_token = request_target.set(None)
        principal_token = tenancy.principal.set(tenancy.UNCHECKED)
        signed_token = moto_iam.signed.set(None)
        actor_token = current_actor.set(
            None if self.authenticator is not None
            else actor_label.claimed(request.headers.get("Authorization", ""), request.args)
        )  # fmt: skip
        try:
            if self.tenant_keys is not None:
                self.tenant_keys.check()
            response = self._handle(request, environ)
        except ForgeError as exc:
            response = self._error(exc, request, rid)
        except BodyTooSlow:  # the client's body fell below the minimum rate
            log.info("request body too slow in %s %r", request.method, request.path[:200])
            message = "Your socket connection to the server was not read from or written to within the timeout period."
            response = self._error(RequestTimeout(message), request, rid)
        except MalformedBody as exc:  # broken chunked framing: the client's error
            log.info("malformed chunked body in %s %r", request.method, request.path[:200])
            response = self._error(InvalidRequest(str(exc.description)), request, rid)
        except ClientDisconnected:  # the client went away mid-body: its problem, not a server error
            log.info("client disconnected during %s %r", request.method, request.path[:200])
            response = self._error(IncompleteBody("The request body ended early"), request, rid)
        except S3ClientError as exc:  # raised by moto (its parsing, its IAM emulation)
            status = FORBIDDEN_CODES.get(str(exc.code), 400)
            response = objects.Response(
                status, {"Content-Type": "application/xml"}, [error_xml(str(exc.code), exc.message, rid)]
            )
        except Exception:  # never a traceback to the client
            log.exception("internal error handling %s %s", request.method, request.path)
            message = "We encountered an internal error. Please try again."
            response = objects.Response(
                500, {"Content-Type": "application/xml"}, [error_xml("InternalError", message, rid)]
            )
        finally:
            root = response_root.get()
            decided = request_target.get()
            read_root.reset(read_token)
            response_root.reset(root_token)
            request_headers.reset(headers_token)
            request_target.reset(target_token)
            tenancy.principal.reset(principal_token)
            moto_iam.signed.reset(signed_token)
            current_actor.reset(actor_token)
        headers = {k: _latin1(v) for k, v in response.headers.items() if k.lower() != "x-amzn-requestid"}
        headers["x-amz-request-id"] = rid
        headers["x-amzn-RequestId"] = rid  # moto's name for it: tests written against moto read this one
        origin = request.headers.get("Origin")
        if origin and decided is not None and decided.target.bucket and request.method != "OPTIONS":
            headers = {k: v for k, v in headers.items() if not k.lower().startswith("access-control-")}
            headers.update(cors.actual(self._cors_rules(decided.target.bucket) or [], origin, request.method))
        if root is not None:
            headers[ROOT_HEADER] = str(root)
        if request.method == "HEAD" and not environ.get(addressing.IN_PROCESS):  # HTTP: no body (in process, moto's)
            body: Iterable[bytes] = []
        else:
            body = response.body
            if isinstance(body, (list, tuple)) and not any(k.lower() == "content-length" for k in headers):
                # A known length keeps the connection alive (no chunked encoding, no close).
                headers["Content-Length"] = str(sum(len(piece) for piece in body))
        start_response(f"{response.status} {_reason(response.status)}", list(headers.items()))
        # No registry connection is held while the client reads: the one this thread took
        # goes back to the pool now, and after each piece a streamed body produced.
        release = self.service.release_connection
        release()
        if isinstance(body, (list, tuple)):
            return body
        callbacks = [release, *([body.close] if hasattr(body, "close") else [])]
        return ClosingIterator(_releasing(body, release), callbacks)

    def _error(self, exc: ForgeError, request: Request, rid: str) -> objects.Response:
        code, status, message, details = classify(exc)
        if status >= 500:
            log.error("%s %s -> %s: %s", request.method, request.path, code, exc)
        body = b"" if request.method == "HEAD" else error_xml(code, message, rid, details)
        extra = exc.headers if isinstance(exc, S3Error) else {}
        return objects.Response(status, {"Content-Type": "application/xml", **extra}, [body])

    def _handle(self, request: Request, environ: dict[str, Any]) -> objects.Response:
        target = self.target(request)
        environ[OPERATION] = operation_name(
            request.method, target.bucket, target.key, request.args, "x-amz-copy-source" in request.headers
        )
        if presigned.is_presigned(request.args):
            self._use_presigned_headers(request, environ)
        bucket, key = target.bucket, target.key
        method = request.method
        if bucket is None and method not in ("GET", "HEAD"):
            raise MethodNotAllowed("The specified method is not allowed against this resource.", Method=method)
        if method == "OPTIONS" and bucket is not None:  # a CORS preflight: browsers never sign one
            request_target.set(RequestTarget(target))
            return self._preflight(bucket, request)
        if method == "POST" and bucket is not None and key is None and not request.args \
                and request.mimetype == form_upload.FORM:  # fmt: skip
            request_target.set(RequestTarget(target))
            return self._form_upload(request, bucket)
        copy_header = request.headers.get("x-amz-copy-source")
        copy_source = (addressing.parse_copy_source(copy_header, legacy_names=self.service.legacy_bucket_names)
                       if copy_header is not None else None)  # fmt: skip
        if copy_source is not None and (key is None or method != "PUT"):
            raise InvalidArgument("x-amz-copy-source is only for CopyObject and UploadPartCopy",
                                  ArgumentName="x-amz-copy-source")  # fmt: skip
        if copy_source is not None and "x-amz-copy-source-range" in request.headers:
            addressing.parse_copy_range(request.headers["x-amz-copy-source-range"])
        request_target.set(RequestTarget(target, copy_source, request.args.get("versionId")))
        verify_chunk = None
        checked: BucketRecord | None = None
        if self.authenticator is not None:
            auth = self.authenticator.authenticate(request, bucket if target.virtual_host else None)
            current_actor.set(actor_label.verified(auth.access_key))
            verify_chunk = auth.verify_chunk
            if self.tenancy is not None:
                who = self.tenancy.principal(auth.access_key)
                tenancy.principal.set(who)
                if bucket is not None:
                    creating = method == "PUT" and key is None and not request.args
                    source = copy_source.bucket if copy_source is not None else None
                    checked = tenancy.check_access(self.service.find_bucket, who, bucket, creating, source)
        else:
            if moto_iam.active():
                moto_iam.signed.set(moto_iam.as_sent(environ, request.headers))
            refused = self._moto_access(request, environ, bucket, key) if bucket is not None else None
            if refused is not None:
                return refused
        if bucket is not None:  # an operation moto would mistake for its method's plain one
            subresources.check(method, key is not None, request.args.keys())
            subresources.check_headers(method, key is not None, request.headers)
        root_text = request.headers.get(ROOT_HEADER) or request.args.get(ROOT_QUERY)
        if root_text:
            try:
                read_root.set(CID.decode(root_text))
            except ForgeError as exc:
                raise InvalidArgument(f"{ROOT_HEADER} is not a CID: {root_text}", ArgumentName=ROOT_HEADER) from exc
        streaming = streaming_operation(request.method, target, request.args, copy_source is not None)
        if self.authenticator is None and streaming is not None and moto_iam.active():
            self._moto_iam_check(request, environ, target, copy_source)
        served = self._streaming(request, target, copy_source, verify_chunk, checked)
        if served is None:
            return self._moto(request, environ, target, copy_source)
        if bucket is not None:
            self._log_access(request, bucket)
        return served

    def _streaming(
        self,
        request: Request,
        target: addressing.Target,
        copy_source: addressing.CopySource | None,
        verify_chunk: ChunkVerifier | None,
        checked: BucketRecord | None = None,
    ) -> objects.Response | None:
        """The operations served here, streaming (:func:`streaming_operation`); ``None`` for
        the rest, which moto serves.  ``checked``: the bucket's record the access decision
        read, which a GET or HEAD of an object reads from (it writes nothing in between)."""
        operation = streaming_operation(request.method, target, request.args, copy_source is not None)
        bucket, key, args = target.bucket, target.key, request.args
        if operation == "UploadPart" and bucket is not None:
            return objects.upload_part(
                self.service, request, bucket, args["uploadId"], args["partNumber"], verify_chunk
            )
        if operation == "PutObject" and bucket is not None and key is not None:
            response, result = objects.put_object(self.service, request, bucket, key, verify_chunk)
            response_root.set(result.root)
            assert result.manifest is not None and result.manifest_cid is not None
            if "notification" in self.service.config_of(self.service.bucket_root(result.root)):
                account = self._account(request)
                self.backends.for_account(account).notify_put(bucket, result.manifest, result.manifest_cid)
            return response
        if operation == "GetObject" and bucket is not None and key is not None:
            return objects.get_object(
                self.service, request, bucket, key, read_root.get(), request.method == "HEAD", checked
            )
        if operation == "ListObjects" and bucket is not None:
            return listing.list_objects(self.service, request, bucket, read_root.get())
        if operation == "DeleteObject" and bucket is not None and key is not None:
            return self._delete_object(request, bucket, key)
        if operation == "GetObjectRetention" and bucket is not None and key is not None:
            backend = self.backends.for_account(self._account(request))
            mode, until = backend.get_object_retention(bucket, key, args.get("versionId"))
            return objects.Response(200, {"Content-Type": "application/xml"}, [retention_xml(mode, until)])
        return None

    def _delete_object(self, request: Request, bucket: str, key: str) -> objects.Response | None:
        """DeleteObject as moto's handler answers it (204; ``x-amz-version-id`` and
        ``x-amz-delete-marker`` where the delete made or removed a version), without moto's
        parsing of the request again.  ``If-Match`` is decided in the commit, atomically with
        the removal (moto's handler checks it before, and a write between the two was
        deleted).  ``None`` (moto serves it) for an ``x-amz-mfa`` delete (refused there).  A
        bucket policy's Deny was applied before (:meth:`_moto_access`), as for every object
        request."""
        headers = request.headers
        if "x-amz-mfa" in headers:
            return None
        backend = self.backends.for_account(self._account(request))
        bypass = headers.get("x-amz-bypass-governance-retention")  # moto: any value bypasses
        _, meta = backend.delete_object(
            bucket, key, request.args.get("versionId"), bypass=bool(bypass), if_match=headers.get("If-Match")
        )
        return objects.Response(204, {f"x-amz-{name}": value for name, value in meta.items()}, [])

    def _moto_iam_check(
        self,
        request: Request,
        environ: dict[str, Any],
        target: addressing.Target,
        copy_source: addressing.CopySource | None,
    ) -> None:
        """moto's IAM emulation for an operation served here (moto checks the ones it serves):
        moto's own check, on moto's view of the request without its body, reading the request
        as signed (s3/moto_iam.py).  Raises moto's error (AccessDenied, SignatureDoesNotMatch,
        InvalidAccessKeyId: S3App renders its status and code)."""
        moto_request = self._moto_request(request, environ, target, copy_source, b"")
        response = self.response_class()
        response.setup_class(moto_request, moto_request.url, dict(moto_request.headers))
        response._authenticate_and_authorize_s3_action(bucket_name=target.bucket, key_name=target.key)

    def _log_access(self, request: Request, bucket: str) -> None:
        """Server access logging (PutBucketLogging) of a request served here, as moto logs the
        ones it serves: a log object in the target bucket.  Free for a bucket without logging
        (its configuration is read from the root the request used, cached)."""
        root = response_root.get()
        if root is None or "logging" not in self.service.config_of(self.service.bucket_root(root)):
            return
        backend = self.backends.for_account(self._account(request))
        token = response_root.set(root)  # the log write is another bucket's: this response keeps its root
        try:
            backend.log_incoming_request(request, bucket)
        finally:
            response_root.reset(token)

    def _form_upload(self, request: Request, bucket: str) -> objects.Response:
        """A browser upload (s3/form_upload.py): its signature and policy are checked (when the
        server checks signatures) from the very fields that are then stored (the form is
        signed by its policy, not by headers)."""
        fields, upload = form_upload.read_form(request)
        try:
            if self.authenticator is not None:  # without credentials nothing is checked, as moto
                auth = self.authenticator.authenticate_form(fields)
                current_actor.set(actor_label.verified(auth.access_key))
                if self.tenancy is not None:
                    who = self.tenancy.principal(auth.access_key)
                    tenancy.principal.set(who)
                    tenancy.check_access(self.service.find_bucket, who, bucket, False, None)
                document = post_policy.decode(fields["policy"])
                post_policy.check(document, fields, bucket, form_upload.size_of(upload), time.time())
            key = form_upload.object_key(fields, upload)
            result = form_upload.store(self.service, fields, upload, bucket, key)
        finally:
            for stored in request.files.values():
                stored.close()
        response_root.set(result.root)
        assert result.manifest is not None and result.manifest_cid is not None
        if "notification" in self.service.config_of(self.service.bucket_root(result.root)):
            account = self._account(request)
            self.backends.for_account(account).notify(
                S3NotificationEvent.OBJECT_CREATED_POST_EVENT, bucket, result.manifest, result.manifest_cid
            )
        response = form_upload.respond(fields, bucket, key, result.manifest.etag, lambda: request.host_url.rstrip("/"))
        if result.version_id is not None:
            response.headers["x-amz-version-id"] = result.version_id
        return response

    def _cors_rules(self, bucket: str) -> list[cors.CorsRule] | None:
        """The bucket's CORS rules (``None``: no such bucket)."""
        record = self.service.find_bucket(bucket)
        if record is None:
            return None
        return cors.parse_rules(self.service.config_of(self.service.bucket_root(record.root)).get("cors"))

    def _preflight(self, bucket: str, request: Request) -> objects.Response:
        """Answer a CORS preflight from the bucket's rules, as S3 does (s3/cors.py)."""
        rules = self._cors_rules(bucket)
        if rules is None:
            raise AccessForbidden("CORSResponse: Bucket not found", BucketName=bucket)
        headers = cors.preflight(rules, {name.lower(): value for name, value in request.headers.items()})
        return objects.Response(200, headers, [b""])

    def _account(self, request: Request) -> str:
        """The moto account of a request served here (as moto would decide it)."""
        account: str = self.response_class.account_of(request)  # type: ignore[attr-defined]
        return account

    def _moto_access(
        self, request: Request, environ: dict[str, Any], bucket: str, key: str | None
    ) -> objects.Response | None:
        """Access as moto decides it, for a server that checks no signatures: moto's
        cross-account switch, a bucket policy's Deny of a request on an object, and unsigned
        requests on objects (a 403 without a body, as moto answers those); ``None`` when the
        request goes on."""
        if not (request.method == "PUT" and key is None and not request.args):  # CreateBucket answers itself
            self._check_cross_account(request, bucket)
        raw_query = addressing.raw_path_and_query(environ)[1]
        if key is None:
            return None
        if anonymous.is_anonymous(request.headers.get("Authorization"), raw_query):
            refused = self._anonymous_denied(request, bucket, key)
        else:
            refused = self._policy_denied(request, bucket, key)
        return objects.Response(403, {}) if refused else None

    def _check_cross_account(self, request: Request, bucket: str) -> None:
        """Without credentials, moto's ``MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS=false``: a bucket
        is refused (403 AccessDenied) to every moto account but the one that created it."""
        if s3_allow_crossdomain_access():
            return
        record = self.service.find_bucket(bucket)
        if record is None:
            return
        owner = owner_account(self.service.config_of(self.service.bucket_root(record.root)), "")
        if owner != self._account(request):
            raise AccessDenied("Access Denied")

    def _policy_denied(self, request: Request, bucket: str, key: str) -> bool:
        """Whether the bucket's policy denies a signed request's action on object ``key``, as
        moto refuses it, with no credentials configured (free for a bucket without a policy)."""
        record = self.service.find_bucket(bucket)
        if record is None or "policy" not in self.service.config_of(self.service.bucket_root(record.root)):
            return False
        try:
            holder = self.backends.for_account(self._account(request)).get_bucket(bucket)
        except (MissingBucket, S3ClientError, ForgeError):
            return False  # the request itself gets the error
        return anonymous.policy_denied(holder, bucket, key, request.method)

    def _anonymous_denied(self, request: Request, bucket: str, key: str) -> bool:
        """Whether an unsigned request on an object, with no credentials configured, is
        refused (403, no body, as moto answers): :mod:`moto_forge.s3.anonymous`."""
        backend = self.backends.for_account(self._account(request))
        try:
            holder = backend.get_bucket(bucket)
            found = backend.get_object(bucket, key, request.args.get("versionId"))
        except (MissingBucket, S3ClientError, ForgeError):
            return False  # the request itself gets the error
        stored = found if isinstance(found, ForgeKey) else None
        return anonymous.denied(holder, bucket, key, stored, request.method)

    @staticmethod
    def _use_presigned_headers(request: Request, environ: dict[str, Any]) -> None:
        """Make the ``x-amz-*`` parameters of a presigned URL the request's headers, for every
        later step (moto's own parse of ``environ`` included): :mod:`moto_forge.s3.presigned`."""
        pairs = addressing.query_pairs(addressing.raw_path_and_query(environ)[1])
        effective = presigned.effective_headers(request.headers, pairs)
        if list(effective.items()) == list(request.headers.items()):
            return
        request.headers = effective
        environ[addressing.RAW_HEADERS] = list(effective.items())
        for name, value in effective.items():
            environ.setdefault("HTTP_" + name.upper().replace("-", "_"), value)
        request_headers.set(dict(effective))

    @staticmethod
    def _moto_request(
        request: Request,
        environ: dict[str, Any],
        target: addressing.Target,
        copy_source: addressing.CopySource | None,
        body: bytes,
    ) -> ServerRequest:
        """The request as moto is handed it (see :meth:`_moto`), with ``body``."""
        environ = dict(environ)
        path = "/" + (target.bucket or "") + ("/" + target.key if target.key is not None else "")
        wsgi_path = path.encode("utf-8").decode("latin-1")
        environ["PATH_INFO"] = wsgi_path
        query = environ.get("QUERY_STRING") or ""
        quoted = urllib.parse.quote(path, safe="/~") + ("?" + query if query else "")
        for raw in ("RAW_URI", "REQUEST_URI"):
            if raw in environ:
                environ[raw] = quoted
        environ["HTTP_HOST"] = MOTO_HOST
        if target.bucket is None and request.method == "HEAD":
            environ["REQUEST_METHOD"] = "GET"  # moto renders ListBuckets for GET only; HEAD sends no body
        if copy_source is not None:
            environ["HTTP_X_AMZ_COPY_SOURCE"] = copy_source.header()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        if request.method != "GET":  # Range means nothing to a write, and moto would parse it after writing
            environ.pop("HTTP_RANGE", None)
            environ[addressing.RAW_HEADERS] = [
                (name, value) for name, value in environ.get(addressing.RAW_HEADERS) or [] if name.lower() != "range"
            ]
        return ServerRequest(environ)

    def _moto(
        self,
        request: Request,
        environ: dict[str, Any],
        target: addressing.Target,
        copy_source: addressing.CopySource | None,
    ) -> objects.Response:
        """Hand the request to moto with everything it would parse again already decided: a
        path-style path built from ``target``, a fixed Host (moto's overrides in
        :func:`make_response_class` never read either), the canonical copy source, and the
        body read once, at most :data:`MAX_MOTO_BODY` bytes."""
        body = read_bounded(request, MAX_MOTO_BODY)
        if request.headers.get("x-amz-mfa") or ("versioning" in request.args and _mfa_delete_enabled(body)):
            raise NotImplementedByServer("MFA delete is not supported: this server cannot check an MFA device",
                                         Header="x-amz-mfa")  # fmt: skip
        request = self._moto_request(request, environ, target, copy_source, body)
        xml_body = set(request.args) & xmlcheck.XML_SUBRESOURCES or (
            target.key is None and request.method == "PUT" and not request.args
        )
        if self.authenticator is not None and request.method in ("PUT", "POST"):
            self.authenticator.check_payload(request, body)
        if request.method in ("PUT", "POST") and xml_body:
            xmlcheck.check(request.get_data(cache=True), request.method, set(request.args))
        status, headers, response_body = self._dispatch(request, target)
        if isinstance(response_body, str):
            response_body = response_body.encode("utf-8")
        if int(status) >= 400 and response_body:
            response_body = clean_xml(response_body)
        response_headers = {str(k): str(v) for k, v in (headers or {}).items() if k.lower() != "status"}
        return objects.Response(int(status), response_headers, [response_body] if response_body else [])

    def _dispatch(self, request: Request, target: addressing.Target) -> Any:
        """moto's handler for the request.  moto trusts its input in places: a method or
        sub-resource it does not implement raises ``NotImplementedError`` (answered 405
        MethodNotAllowed, as S3 answers an unsupported method), and a request missing what
        it needs (a form field, an XML element, a number) raises ``KeyError`` /
        ``ValueError`` / ... deep in its parsing (answered 400 InvalidRequest).  An
        ``AttributeError`` is not caught: it means moto read something our object views lack
        (a bug, answered 500 and logged; tests/s3/test_moto_contract.py guards against it).
        A malformed request is one warning line in the server log (its traceback at debug
        level), never a traceback to the client."""
        full_url = request.url
        handler_cls = self.response_class
        check_acl_headers(request.headers.items())  # moto's parser trusts them
        try:
            if target.key is None:
                return handler_cls.bucket_dispatch(request, full_url, dict(request.headers))
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
        except (KeyError, ValueError, TypeError, IndexError, AssertionError) as exc:
            # one line per bad request (a client can send many): the traceback at debug level
            log.warning("malformed request %s %r: %s: %r", request.method, request.path[:200], type(exc).__name__,
                        str(exc)[:200])  # fmt: skip
            log.debug("malformed request %s %r", request.method, request.path[:200], exc_info=True)
            raise InvalidRequest(f"The request is missing or has a malformed part ({type(exc).__name__})") from exc


def _latin1(value: Any) -> Any:
    """A response header value as WSGI carries it: a string of Latin-1 code points (PEP 3333).
    One with other characters (a ``response-content-disposition`` or a ``versionId`` echoed
    from a percent-encoded query) goes out as its UTF-8 bytes; HTTP could not send it at all
    otherwise (the server answered 500)."""
    if not isinstance(value, str) or value.isascii():
        return value
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8").decode("latin-1")
    return value


def streaming_operation(method: str, target: addressing.Target, args: Any, copy: bool) -> str | None:
    """Which operation S3App serves itself, streaming, for a request (pure): ``UploadPart``,
    ``PutObject``, ``GetObject`` (GET or HEAD), ``DeleteObject``, ``GetObjectRetention``,
    ``ListObjects``, or ``None`` (moto serves it).
    A PUT naming only one of ``uploadId`` and ``partNumber`` is 400 InvalidArgument."""
    bucket, key = target.bucket, target.key
    if bucket is not None and key is not None and not (OBJECT_SUBRESOURCES & set(args)) - {"uploadId"}:
        if method == "PUT" and not copy:
            if ("uploadId" in args) != ("partNumber" in args):
                raise InvalidArgument("UploadPart needs both uploadId and partNumber", ArgumentName="partNumber")
            return "UploadPart" if "uploadId" in args else "PutObject"
        if method in ("GET", "HEAD") and "uploadId" not in args:
            return "GetObject"
        if method == "DELETE" and "uploadId" not in args:
            return "DeleteObject"
    if method in ("GET", "HEAD") and bucket is not None and key is not None and "retention" in args:
        return "GetObjectRetention"  # moto has no handler for it (it answered the object's body)
    if method == "GET" and bucket is not None and key is None and set(args) <= listing.LISTING_PARAMS:
        return "ListObjects"
    return None


def retention_xml(mode: str, until: str) -> bytes:
    """GetObjectRetention's answer: the ``Retention`` document S3 sends."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>{xml_text(mode)}</Mode>'
        f"<RetainUntilDate>{xml_text(until)}</RetainUntilDate></Retention>"
    ).encode()


def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refused (400 ``MaxMessageLengthExceeded``) past ``limit`` bytes before
    any of it is read when Content-Length says so, and after ``limit + 1`` bytes otherwise."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise MaxMessageLengthExceeded(f"Your request was too big: {declared} bytes, at most {limit}")
    stream = request.stream
    pieces: list[bytes] = []
    got = 0
    try:
        while got <= limit:
            piece = stream.read(min(1 << 16, limit + 1 - got))
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
    except (MalformedBody, BodyTooSlow):
        raise  # answered as what it is (S3App.__call__)
    except ClientDisconnected as exc:
        raise IncompleteBody("The request body ended before its Content-Length") from exc
    if got > limit:
        raise MaxMessageLengthExceeded(f"Your request was too big: more than {limit} bytes")
    if declared is not None and got != declared:
        raise IncompleteBody("You did not provide the number of bytes specified by the Content-Length")
    return b"".join(pieces)


def _releasing(body: Iterable[bytes], release: Any) -> Iterator[bytes]:
    """``body``, giving this thread's registry connection back before each piece is sent."""
    for piece in body:
        release()
        yield piece


def _mfa_delete_enabled(body: bytes) -> bool:
    """Whether a PutBucketVersioning body turns MFA delete on."""
    try:
        root = xmlcheck.parse(body)
    except S3Error:
        return False
    return any(e.tag.rsplit("}", 1)[-1] == "MfaDelete" and (e.text or "").strip() == "Enabled" for e in root.iter())


def _xml_response(status: int, body: bytes) -> objects.Response:
    return objects.Response(status, {"Content-Type": "application/xml"}, [body])


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


__all__ = ["S3App", "S3Error"]
