"""The HTTP/1.1 request handler: werkzeug's, with persistent connections, and the request
head read by :mod:`moto_forge.http_head` (not the ``email`` parser).

werkzeug's development handler closes every connection after one response
(it cannot tell where an unread request body ends), so each S3 request paid
a TCP handshake, a new server thread and a wait for the client's close.
This handler bounds every request body it hands the app (``Content-Length``
known), so once the response is out it knows whether the next bytes on the
socket are the next request.  The connection stays open when:

* the request is HTTP/1.1, did not ask for ``Connection: close`` and did not
  come in ``Transfer-Encoding: chunked`` (its end is not cheaply found), and
* the app read the whole body, or what it left unread is at most
  :data:`DRAIN_LIMIT` bytes (read and discarded after the response).

Otherwise the response says ``Connection: close`` and the connection ends,
as werkzeug's does; a body left unread is first read and dropped for as long
as the client keeps sending (a pause of :data:`CLOSE_DRAIN_TIMEOUT` ends it),
so the client reads the response rather than a connection reset.

``Expect: 100-continue`` is answered when the app first reads the body, not
before: a request refused without reading it (a bad signature, a missing
bucket) gets its error at once and its body is never sent (the connection
then closes, since the client may or may not send it later).  A response
without ``Content-Length`` is sent chunked.

The status line, the headers and the first piece of the body leave in one
write (one ``sendall``): a server killed mid-response has sent either none of
a small response or all of it.  botocore reads non-streaming responses
without checking their length, so a kill between a headers write and a body
write was read as a 200 with an empty body (a CreateMultipartUpload without
its UploadId).  An error while a response body streams, or a body whose
length is not its ``Content-Length``, closes the connection, so a client
never takes a truncated body for a whole one.  A connection idle for
:data:`IDLE_TIMEOUT` seconds is closed.

A hostile client is bounded three times.  A request's head (request line and header
fields) must have arrived :data:`HEAD_TIMEOUT` seconds after its first byte, or the
connection is shut down (:mod:`moto_forge.deadlines`): the idle timeout applies to each
read, so without it a head sent a byte every minute would hold its thread for good.  A
request body must keep a minimum rate (:data:`BODY_GRACE`, :data:`BODY_MIN_RATE`), or the
connection's reading side is shut down: the app's read fails with :class:`BodyTooSlow`
(the S3 app answers 400 ``RequestTimeout``, as S3 does) and the connection closes after
the answer.  The clock runs only while a read waits for the client, never while the app
works between two reads.  And a server process
serves at most :data:`MAX_CONNECTIONS` connections at once (a thread each): past it, new
connections wait in the listening socket's backlog (or go to another worker) until one
ends, so a flood of connections costs the process neither unbounded threads nor memory.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import unquote

from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

from moto_forge.deadlines import Deadlines
from moto_forge.http_dates import rfc1123
from moto_forge.http_head import HeadError, read_headers, request_line
from moto_forge.s3.addressing import RAW_HEADERS
from moto_forge.workers import ConnectionLoad

DRAIN_LIMIT = 1 << 20
"""Unread request body bytes still worth reading to keep a connection open."""

IDLE_TIMEOUT = 60.0
"""Seconds a connection may wait for its next request (or for more of a body)."""

CHUNKED_DRAIN_LIMIT = 64 << 20
"""The most of an unread chunked body read and dropped before its connection closes (so the
client reads the answer, not a reset)."""
CLOSE_DRAIN_TIMEOUT = 1.0
"""Seconds of silence that end the reading of an unread body before a connection closes."""

HEAD_TIMEOUT = 30.0
"""Seconds from a request's first byte until its whole head must have arrived (module doc)."""

BODY_GRACE = 20.0
BODY_MIN_RATE = 500.0
"""The server may spend at most :data:`BODY_GRACE` seconds plus one second per
:data:`BODY_MIN_RATE` bytes received waiting for a request body (module doc; Apache's
``mod_reqtimeout`` default, ``body=20,MinRate=500``)."""

MAX_CONNECTIONS = 1000
"""Connections one server process serves at once (module doc); S3 clients open a few
(boto3's pool holds 10, the aws CLI's transfers 10, rclone's 4 plus 8 checkers)."""

FULL_PAUSE = 0.05
"""Seconds a server at :data:`MAX_CONNECTIONS` waits before looking at its backlog again."""


_date_header = functools.lru_cache(maxsize=2)(rfc1123)
"""The ``Date`` header's value for a Unix second (made once a second; a cache of its own, so
``Date`` values never push objects' ``Last-Modified`` dates out of theirs)."""


def _as_wsgi(text: str) -> str:
    """A WSGI environ string: the UTF-8 bytes of ``text`` as Latin-1 (PEP 3333)."""
    return text if text.isascii() else text.encode().decode("latin1")


class _ContinueOnRead:
    """The request stream, sending ``100 Continue`` before its first read."""

    def __init__(self, rfile: Any, wfile: Any) -> None:
        self._rfile = rfile
        self._wfile = wfile
        self.sent = False

    def _continue(self) -> None:
        if not self.sent:
            self.sent = True
            self._wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._wfile.flush()

    def read(self, size: int = -1) -> bytes:
        self._continue()
        return bytes(self._rfile.read(size))

    def readinto(self, buffer: Any) -> int:
        self._continue()
        return int(self._rfile.readinto(buffer))

    def readline(self, size: int = -1) -> bytes:
        self._continue()
        return bytes(self._rfile.readline(size))


class MalformedBody(ClientDisconnected):
    """A ``Transfer-Encoding: chunked`` body whose framing is broken (a chunk size that is not
    hexadecimal, or the body ends inside it): the client's error, a 400, never a 500.  A
    :class:`~werkzeug.exceptions.ClientDisconnected` (a ``BadRequest``), so whatever app reads
    the body answers it as a bad request; the S3 app says which (``InvalidRequest``)."""

    description = "The request's chunked transfer coding is malformed"


@contextlib.contextmanager
def _framing() -> Iterator[None]:
    """Turn a framing error from inside werkzeug's chunked decoder into :class:`MalformedBody`."""
    try:
        yield
    except (OSError, ValueError) as exc:
        raise MalformedBody() from exc


class _CheckedDechunk:
    """werkzeug's chunked-body decoder, whose framing errors (``OSError`` or ``ValueError`` from
    inside it) become :class:`MalformedBody`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        with _framing():
            return bytes(self._stream.read(size))

    def readinto(self, buffer: Any) -> int:
        with _framing():
            return int(self._stream.readinto(buffer))

    def readline(self, size: int = -1) -> bytes:
        with _framing():
            return bytes(self._stream.readline(size))


class BodyTooSlow(ClientDisconnected):
    """The request body came slower than the minimum rate (module doc), and the connection's
    reading side was shut down.  A :class:`~werkzeug.exceptions.ClientDisconnected`, so any
    app answers it as a bad request; the S3 app answers ``RequestTimeout``."""

    description = "The request body came too slowly"


class _PacedBody:
    """The request stream while a request is answered: each read waits with the connection
    armed on ``deadlines``, until ``grace`` seconds plus a second per ``rate`` bytes
    received so far have been spent waiting for the client, and takes what one receive
    brings before it looks at that deadline again (a read of many bytes trickled in would
    otherwise wait under the deadline set before it).  Reads have the buffered stream's
    contract: ``read(n)`` and ``readinto`` return fewer bytes only at the end of the
    stream.  A read that meets the end of the stream once the deadline has passed (the
    deadline shut the reading side down) raises :class:`BodyTooSlow`."""

    def __init__(self, rfile: Any, sock: socket.socket, deadlines: Deadlines, grace: float, rate: float) -> None:
        self._rfile = rfile
        self._sock = sock
        self._deadlines = deadlines
        self._grace = grace
        self._rate = rate
        self._got = 0
        self._waited = 0.0
        self.too_slow = False
        """Whether a read met the deadline (the reading side is shut: no request can follow)."""

    @contextlib.contextmanager
    def _armed(self) -> Iterator[float]:
        """Armed while the block waits for the client; yields the deadline: the time left of
        ``grace`` plus a second per ``rate`` bytes received, less the time already waited."""
        started = time.monotonic()
        due = started + self._grace + self._got / self._rate - self._waited
        self._deadlines.arm_until(self._sock, due, socket.SHUT_RD)
        try:
            yield due
        finally:
            self._deadlines.disarm(self._sock)
            self._waited += time.monotonic() - started

    def _took(self, count: int, due: float) -> None:
        self._got += count
        if count == 0 and time.monotonic() >= due:
            self.too_slow = True
            raise BodyTooSlow()

    def read(self, size: int | None = -1) -> bytes:
        if size is None:
            size = -1
        pieces: list[bytes] = []
        got = 0
        while size < 0 or got < size:
            with self._armed() as due:
                piece = bytes(self._rfile.read1(DRAIN_LIMIT if size < 0 else size - got))
            self._took(len(piece), due)
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        got = 0
        while got < len(view):
            with self._armed() as due:
                count = int(self._rfile.readinto1(view[got:]))
            self._took(count, due)
            if not count:
                break
            got += count
        return got

    def readline(self, size: int = -1) -> bytes:
        with self._armed() as due:
            line = bytes(self._rfile.readline(size))
        self._took(len(line), due)
        return line


_NO_BODY_STATUS = (204, 304)


class _Response:
    """What one response has sent so far (see :meth:`KeepAliveHandler._answer`)."""

    __slots__ = ("bodiless", "body_bytes", "chunked", "head_sent", "length")

    def __init__(self) -> None:
        self.head_sent = False
        """Status line and headers are built and sent with the body's first piece (or its end)."""
        self.bodiless = False
        """HEAD, 1xx, 204 and 304: whatever the app yields is not sent."""
        self.chunked = False
        self.length: int | None = None
        """The declared Content-Length (-1: not a number), None when there is none."""
        self.body_bytes = 0


class KeepAliveHandler(WSGIRequestHandler):
    """A :class:`WSGIRequestHandler` that keeps HTTP/1.1 connections open (module doc)."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT

    def setup(self) -> None:
        super().setup()
        # A streamed body leaves in several writes; on a kept-open connection Nagle's
        # algorithm would hold the second until the client's delayed ACK (~40 ms).
        with contextlib.suppress(OSError):  # not TCP (a Unix socket): nothing to tune
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        """``http.server``'s, with the head's deadline armed once the request's first byte
        has come (the wait before it is the idle timeout's)."""
        deadlines = self._deadlines
        if deadlines is not None:
            try:
                if not self.rfile.peek(1):  # type: ignore[attr-defined]
                    self.close_connection = True  # the client closed
                    return
            except (TimeoutError, OSError):
                self.close_connection = True  # idle past the timeout, or gone
                return
            deadlines.arm(self.connection, getattr(self.server, "head_timeout", HEAD_TIMEOUT))
        super().handle_one_request()

    @property
    def _deadlines(self) -> Deadlines | None:
        """The server's head and body deadlines (``None`` on a server without them: werkzeug's own)."""
        return getattr(self.server, "deadlines", None)

    def _disarm(self) -> None:
        deadlines = self._deadlines
        if deadlines is not None:
            deadlines.disarm(self.connection)

    def finish(self) -> None:
        """Disarm the connection's deadline before it closes (:mod:`moto_forge.deadlines`)."""
        self._disarm()
        super().finish()

    def parse_request(self) -> bool:
        """Take the request line and header fields (:mod:`moto_forge.http_head`: the same
        contract as ``http.server``'s, without the ``email`` parser, refusing malformed and
        folded header lines); ``False`` once an error is answered (or the line is empty).
        The head's deadline, if any, is disarmed once the head is read (or refused)."""
        try:
            return self._parse_request()
        finally:
            self._disarm()

    def _parse_request(self) -> bool:
        self.command = None  # type: ignore[assignment]  # http.server's "not parsed yet"
        self.request_version = "HTTP/1.0"  # an error answered before the version is known
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        if not self.requestline.strip():
            return False
        try:
            line = request_line(self.raw_requestline)
            self.command, self.path, self.request_version = line.method, line.target, line.version
            if line.target.startswith("//"):
                self.path = "/" + line.target.lstrip("/")  # as http.server: one leading slash
            self.headers = read_headers(self.rfile)  # type: ignore[assignment]
        except HeadError as exc:
            self.send_error(exc.status, exc.reason)
            return False
        connection = (self.headers.get("Connection") or "").lower()
        if connection != "close" and (line.number >= (1, 1) or connection == "keep-alive"):
            self.close_connection = False
        return True

    def _plain_environ(self) -> dict[str, Any] | None:
        """werkzeug's environ for the usual request, built without its general steps: a
        plain-HTTP request whose target is an origin-form path (``/...``, no fragment) and
        carries no ``Transfer-Encoding``; ``None`` for any other (werkzeug builds it).  The
        same keys and values as werkzeug's for that request (``tests/test_serving.py``)."""
        target = self.path
        client = self.client_address
        if self.server.ssl_context is not None or not isinstance(client, tuple):
            return None
        if not target.startswith("/") or "#" in target:
            return None
        environ: dict[str, Any] = {}
        for name, value in self.headers.items():  # first: a chunked request gives up early
            if "_" in name:
                continue
            key = name.upper().replace("-", "_")
            value = value.replace("\r\n", "")
            if key == "TRANSFER_ENCODING":
                return None
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
                if key in environ:
                    value = f"{environ[key]},{value}"
            environ[key] = value
        path, _, query = target.partition("?")
        environ.update(
            {
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": self.rfile,
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": self.server.multithread,
                "wsgi.multiprocess": self.server.multiprocess,
                "wsgi.run_once": False,
                "werkzeug.socket": self.connection,
                "SERVER_SOFTWARE": self.server_version,
                "REQUEST_METHOD": self.command,
                "SCRIPT_NAME": "",
                "PATH_INFO": _as_wsgi(unquote(path)),
                "QUERY_STRING": _as_wsgi(query),
                "REQUEST_URI": _as_wsgi(target),
                "RAW_URI": _as_wsgi(target),
                "REMOTE_ADDR": self.address_string(),
                "REMOTE_PORT": client[1],
                "SERVER_NAME": self.server.server_address[0],
                "SERVER_PORT": str(self.server.server_address[1]),
                "SERVER_PROTOCOL": self.request_version,
            }
        )
        return environ

    def make_environ(self) -> Any:
        environ = self._plain_environ() or super().make_environ()
        environ[RAW_HEADERS] = list(self.headers.items())  # names with "_" too (werkzeug drops them)
        self._body: LimitedStream | None = None
        self._chunked: Any = None
        if environ.get("wsgi.input_terminated"):
            self._chunked = environ["wsgi.input"] = _CheckedDechunk(environ["wsgi.input"])
            return environ  # chunked: werkzeug decodes it; the connection closes after
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length >= 0:
            self._body = LimitedStream(environ["wsgi.input"], length)
            environ["wsgi.input"] = self._body
            environ["wsgi.input_terminated"] = True
        return environ

    def handle_expect_100(self) -> bool:
        """Accept the request without answering ``100 Continue`` yet: :class:`_ContinueOnRead`
        answers it when the app first reads the body (http.server's would answer now)."""
        return True

    def _reusable(self) -> bool:
        """Whether the next bytes on the socket will be the next request's."""
        body = self._body
        if self.close_connection or body is None or self.request_version != "HTTP/1.1":
            return False
        if self._paced is not None and self._paced.too_slow:
            return False
        if body.is_exhausted:
            return True
        if self._continued is not None and not self._continued.sent:
            return False  # the client waits for 100 Continue: its body may come later or never
        return body.limit <= DRAIN_LIMIT

    def _drain_before_close(self) -> None:
        """Read and drop what the client still sends of an unread body (see the module doc); a
        chunked one up to :data:`CHUNKED_DRAIN_LIMIT` bytes."""
        if self._continued is not None and not self._continued.sent:
            return
        body = self._body
        if body is None:
            if self._chunked is not None:
                self.connection.settimeout(CLOSE_DRAIN_TIMEOUT)
                with contextlib.suppress(OSError, ValueError, ClientDisconnected):
                    for _ in range(CHUNKED_DRAIN_LIMIT // DRAIN_LIMIT):
                        if not self._chunked.read(DRAIN_LIMIT):
                            break
            return
        if body.is_exhausted:
            return
        self.connection.settimeout(CLOSE_DRAIN_TIMEOUT)
        with contextlib.suppress(OSError, ValueError, ClientDisconnected):
            while body.read(DRAIN_LIMIT):
                pass

    def run_wsgi(self) -> None:
        self._continued: _ContinueOnRead | None = None
        raw = self.rfile
        deadlines = self._deadlines
        self._paced: _PacedBody | None = None
        if deadlines is not None:
            grace = getattr(self.server, "body_grace", BODY_GRACE)
            rate = getattr(self.server, "body_min_rate", BODY_MIN_RATE)
            self._paced = _PacedBody(raw, self.connection, deadlines, grace, rate)
            self.rfile = self._paced  # type: ignore[assignment]
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self._continued = self.rfile = _ContinueOnRead(self.rfile, self.wfile)  # type: ignore[assignment]
        try:
            self._answer()
            if self.close_connection:
                self._drain_before_close()  # paced too: a trickled body is not drained for ever
        finally:
            self.rfile = raw

    def _answer(self) -> None:
        self.environ = environ = self.make_environ()
        head_request = environ["REQUEST_METHOD"] == "HEAD"
        started: list[tuple[str, list[tuple[str, str]]]] = []
        out = _Response()

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            if exc_info and out.head_sent:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [(status, headers)]
            return write

        def frame() -> None:
            """How the body of the started response is sent (from its status and headers)."""
            status, headers = started[0]
            code = int(status.partition(" ")[0])
            length: int | None = None
            for name, value in headers:
                if name.lower() == "content-length":
                    length = int(value) if value.strip().isdigit() else -1
            out.bodiless = head_request or 100 <= code < 200 or code in _NO_BODY_STATUS
            out.chunked = length is None and not out.bodiless
            out.length = None if out.bodiless else length

        def head() -> bytes:
            """Status line and headers of the started response, built as they are sent (what
            ``http.server``'s ``send_response`` and ``send_header`` build, ``Server`` and
            ``Date`` first, in one string)."""
            status, headers = started[0]
            code_text, _, reason = status.partition(" ")
            code = int(code_text)
            self.log_request(code)
            lines = [f"{self.protocol_version} {code} {reason}\r\n",
                     f"Server: {self.version_string()}\r\nDate: {_date_header(int(time.time()))}\r\n"]  # fmt: skip
            for name, value in headers:
                lines.append(f"{name}: {value}\r\n")
                if name.lower() == "connection":
                    if value.lower() == "close":
                        self.close_connection = True
                    elif value.lower() == "keep-alive":
                        self.close_connection = False
            if out.chunked:
                lines.append("Transfer-Encoding: chunked\r\n")
            if not self._reusable():
                self.close_connection = True
                lines.append("Connection: close\r\n")
            lines.append("\r\n")
            return "".join(lines).encode("latin-1")

        def write(data: bytes, last: bool = False) -> None:
            if not out.head_sent:
                frame()
            piece = b"" if out.bodiless else bytes(data)
            out.body_bytes += len(piece)
            if out.chunked and piece:
                piece = b"%x\r\n%s\r\n" % (len(piece), piece)
            if last and out.chunked:
                piece += b"0\r\n\r\n"
            if not out.head_sent:
                if not piece and not last:
                    return  # an empty first piece: the head waits for the body's first bytes
                piece = head() + piece
                out.head_sent = True
            if piece:
                self.wfile.write(piece)

        try:
            result: Iterable[bytes] = self.server.app(environ, start_response)
            try:
                for data in result:
                    write(data)
                write(b"", last=True)
                self.wfile.flush()
                if out.length is not None and out.body_bytes != out.length:
                    # The app's body disagrees with its Content-Length: where the next
                    # response would start is unknown to the client.
                    self.close_connection = True
                    self.log_error(
                        "%s %s: body of %d bytes for Content-Length %d",
                        self.command,
                        self.path,
                        out.body_bytes,
                        out.length,
                    )
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away (or stalled): nothing to answer
            return
        except Exception as exc:
            # The app failed, or its response body did while it streamed: the connection
            # ends, so a client never takes a cut-short body for a whole one.
            self.close_connection = True
            self.log_error("error answering %s %s: %r", self.command, self.path, exc)
            if not out.head_sent:
                started[:] = [("500 Internal Server Error", [("Content-Length", "0")])]
                write(b"", last=True)
                self.wfile.flush()
            return
        if not self.close_connection and self._body is not None and not self._body.is_exhausted:
            try:
                self._body.exhaust()
            except (ClientDisconnected, OSError):  # the client left mid-body: nothing more to read
                self.close_connection = True


class BalancedServer(ThreadedWSGIServer):
    """werkzeug's threaded server, with the head deadline and the connection cap of the
    module doc; a worker's (``load`` set) accepts by its
    :class:`~moto_forge.workers.ConnectionLoad`, any other as werkzeug's does."""

    load: ConnectionLoad | None = None
    max_connections = MAX_CONNECTIONS
    head_timeout = HEAD_TIMEOUT
    body_grace = BODY_GRACE
    body_min_rate = BODY_MIN_RATE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines = Deadlines()
        self.open_connections = 0
        self._open_lock = threading.Lock()

    def get_request(self) -> tuple[Any, Any]:
        if self.open_connections >= self.max_connections:
            time.sleep(FULL_PAUSE)  # the connection waits in the backlog, or another worker takes it
            raise BlockingIOError(f"{self.open_connections} connections open, the most this process serves")
        load = self.load
        if load is not None:
            load.wait_turn()
        request = super().get_request()  # BlockingIOError when another worker took it
        with self._open_lock:
            self.open_connections += 1
        if load is not None:
            load.opened()
        return request

    def close_request(self, request: Any) -> None:
        super().close_request(request)
        with self._open_lock:
            self.open_connections -= 1
        if self.load is not None:
            self.load.closed()
