"""The keep-alive request handler, against small WSGI apps on a real socket."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

import boto3
import pytest
from botocore.config import Config
from werkzeug.serving import BaseWSGIServer, make_server

from moto_forge import serving
from moto_forge.serving import KeepAliveHandler
from tests.support.raw_http import read_reply

App = Callable[[dict[str, Any], Any], Iterable[bytes]]


@pytest.fixture
def serve() -> Iterator[Callable[..., int]]:
    servers: list[BaseWSGIServer] = []

    def start(app: App, handler: type[KeepAliveHandler] = KeepAliveHandler) -> int:
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.port

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def connect() -> Iterator[Callable[..., http.client.HTTPConnection]]:
    conns: list[http.client.HTTPConnection] = []

    def open_(port: int, timeout: float = 10) -> http.client.HTTPConnection:
        conns.append(http.client.HTTPConnection("127.0.0.1", port, timeout=timeout))
        return conns[-1]

    yield open_
    for conn in conns:
        conn.close()


Connect = Callable[..., http.client.HTTPConnection]


def echo(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def ignore_body(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("403 Forbidden", [("Content-Length", "2")])
    return [b"no"]


def exchange(conn: http.client.HTTPConnection, method: str, body: bytes | None = None, **headers: str) -> Any:
    conn.request(method, "/", body=body, headers=headers)
    response = conn.getresponse()
    return response, response.read()


def test_one_connection_serves_many_requests(serve: Callable[[App], int], connect: Connect) -> None:
    conn = connect(serve(echo))
    response, data = exchange(conn, "PUT", b"first")
    sock = conn.sock
    assert (response.status, data, response.getheader("Connection")) == (200, b"first", None)
    for n in range(5):
        response, data = exchange(conn, "PUT", b"again %d" % n)
        assert data == b"again %d" % n
    assert conn.sock is sock  # http.client reconnects silently: the same socket means kept open


def test_an_unread_small_body_is_drained_and_the_connection_kept(serve: Callable[[App], int], connect: Connect) -> None:
    conn = connect(serve(ignore_body))
    response, data = exchange(conn, "PUT", b"x" * 1000)
    sock = conn.sock
    assert (response.status, data, response.getheader("Connection")) == (403, b"no", None)
    response, data = exchange(conn, "PUT", b"y" * 10)  # parsed as a request, not as leftover body
    assert (response.status, data) == (403, b"no") and conn.sock is sock


def test_an_unread_large_body_closes_the_connection(
    serve: Callable[[App], int], connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "DRAIN_LIMIT", 100)
    conn = connect(serve(ignore_body))
    response, _ = exchange(conn, "PUT", b"x" * 101)
    assert response.getheader("Connection") == "close"


@pytest.mark.parametrize(
    ("headers", "version"),
    [({"Connection": "close"}, "HTTP/1.1"), ({"Transfer-Encoding": "chunked"}, "HTTP/1.1"), ({}, "HTTP/1.0")],
)
def test_connections_that_cannot_be_reused_are_closed(
    serve: Callable[[App], int], headers: dict[str, str], version: str
) -> None:
    port = serve(echo)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        body = b"5\r\nhello\r\n0\r\n\r\n" if "Transfer-Encoding" in headers else b"hello"
        lines = [f"PUT / {version}", "Host: x", *(f"{k}: {v}" for k, v in headers.items())]
        if "Transfer-Encoding" not in headers:
            lines.append("Content-Length: 5")
        sock.sendall("\r\n".join(lines).encode() + b"\r\n\r\n" + body)
        reply = b""
        while chunk := sock.recv(65536):  # ends only because the server closes
            reply += chunk
    assert reply.startswith(b"HTTP/1.") and b"Connection: close" in reply and reply.endswith(b"hello")


def test_a_response_without_length_is_chunked_and_keeps_the_connection(
    serve: Callable[[App], int], connect: Connect
) -> None:
    def pieces(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [])
        return iter([b"ab", b"", b"cd"])

    conn = connect(serve(pieces))
    response, data = exchange(conn, "GET")
    sock = conn.sock
    assert data == b"abcd" and response.getheader("Transfer-Encoding") == "chunked"
    assert exchange(conn, "GET")[1] == b"abcd" and conn.sock is sock


def test_a_body_that_fails_while_streaming_ends_the_connection(serve: Callable[[App], int], connect: Connect) -> None:
    def failing(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Length", "10")])

        def body() -> Iterator[bytes]:
            yield b"12345"
            raise OSError("a block went missing")

        return body()

    conn = connect(serve(failing))
    conn.request("GET", "/")
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert cut.value.partial == b"12345"  # the client sees the cut, not a hang or a whole body


def test_an_app_that_raises_gets_a_500_and_a_closed_connection(serve: Callable[[App], int], connect: Connect) -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise RuntimeError("bug")

    conn = connect(serve(broken))
    response, data = exchange(conn, "GET")
    assert (response.status, data, response.getheader("Connection")) == (500, b"", "close")


def raw_request(port: int, head: list[str]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall("\r\n".join(["PUT / HTTP/1.1", "Host: x", *head]).encode() + b"\r\n\r\n")
    return sock


def test_100_continue_is_sent_only_when_the_body_is_read(serve: Callable[[App], int]) -> None:
    port = serve(echo)
    with raw_request(port, ["Content-Length: 5", "Expect: 100-continue"]) as sock:
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        reply = read_reply(sock)
        assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"hello") and b"Connection: close" not in reply
        sock.sendall(b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")  # still open
        assert read_reply(sock).endswith(b"ok")


def test_a_body_refused_unread_is_never_asked_for(serve: Callable[[App], int]) -> None:
    with raw_request(serve(ignore_body), ["Content-Length: 50000000", "Expect: 100-continue"]) as sock:
        reply = read_reply(sock)  # the client sent no body: the answer comes anyway
        assert reply.startswith(b"HTTP/1.1 403") and b"100 Continue" not in reply
        assert b"Connection: close" in reply and sock.recv(10) == b""


def test_a_large_unread_body_is_read_before_closing_so_the_client_sees_the_answer(
    serve: Callable[[App], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "DRAIN_LIMIT", 1000)
    size = 8 << 20  # far more than the socket buffers hold
    with raw_request(serve(ignore_body), [f"Content-Length: {size}"]) as sock:
        sender = threading.Thread(target=sock.sendall, args=(b"z" * size,))
        sender.start()
        sender.join(timeout=30)
        reply = read_reply(sock)  # no ConnectionResetError
        assert reply.startswith(b"HTTP/1.1 403") and reply.endswith(b"no") and b"Connection: close" in reply


@pytest.mark.parametrize(
    "head, status",
    [
        (["Content-Length: 0", "Bad Header: x"], 400),  # email's parser ended the headers here
        (["X-Amz-Meta-A: 1", " folded: continuation"], 400),
        ([f"H{n}: v" for n in range(101)], 431),
        (["Long: " + "x" * 70000], 431),
    ],
)
def test_a_malformed_head_gets_its_status_and_never_reaches_the_app(
    serve: Callable[[App], int], head: list[str], status: int
) -> None:
    reached: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        reached.append(1)
        return echo(environ, start_response)

    with raw_request(serve(app), head) as sock:
        reply = read_reply(sock)
        assert reply.split(b" ", 2)[1] == b"%d" % status, reply[:80]
        assert sock.recv(10) == b""  # and the connection ends
    assert reached == []


def test_http_1_0_closes_unless_kept_alive_and_a_bad_request_line_is_answered(
    serve: Callable[[App], int],
) -> None:
    port = serve(echo)
    for line, head, closes in ((b"PUT / HTTP/1.0", b"", True), (b"PUT / HTTP/1.1", b"Connection: close\r\n", True),
                               (b"PUT / HTTP/1.1", b"", False)):  # fmt: skip
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(line + b"\r\nHost: x\r\nContent-Length: 2\r\n" + head + b"\r\nok")
            assert read_reply(sock).endswith(b"ok")
            sock.settimeout(0.5)
            try:
                closed = sock.recv(10) == b""
            except TimeoutError:
                closed = False
            assert closed == closes, line + head
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")
        assert read_reply(sock).split(b" ", 2)[1] == b"505"


class _RecordingHandler(KeepAliveHandler):
    """Records every write a response makes (``writes``, shared by the test)."""

    writes: ClassVar[list[bytes]] = []

    def setup(self) -> None:
        super().setup()
        socket_writer = self.wfile
        writes = self.writes

        class Recorder:
            def write(self, data: bytes) -> int:
                writes.append(bytes(data))
                return int(socket_writer.write(data))

            def flush(self) -> None:
                socket_writer.flush()

        self.wfile = Recorder()  # type: ignore[assignment]


def test_head_and_first_body_piece_leave_in_one_write(serve: Callable[..., int], connect: Connect) -> None:
    def xml(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Length", "13")])
        return iter([b"", b"<UploadId>u</", b""])  # an empty first piece does not send the head alone

    writes: list[bytes] = []
    _RecordingHandler.writes = writes
    _, data = exchange(connect(serve(xml, _RecordingHandler)), "POST")
    assert data == b"<UploadId>u</"
    assert len(writes) == 1 and writes[0].startswith(b"HTTP/1.1 200") and writes[0].endswith(b"\r\n\r\n<UploadId>u</")


def test_a_body_shorter_than_its_content_length_closes_the_connection(
    serve: Callable[..., int], connect: Connect
) -> None:
    def liar(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Length", "3")])
        return [b"abcdef"]

    conn = connect(serve(liar))
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.read() == b"abc"
    conn.request("GET", "/")  # the server closed: http.client finds the socket dead
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.getresponse()


def test_bodiless_responses_send_no_body(serve: Callable[[App], int], connect: Connect) -> None:
    def head_with_body(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Length", "5")])
        return [b"hello"]  # for HEAD the length is the GET body's, the body itself is not sent

    conn = connect(serve(head_with_body))
    response, data = exchange(conn, "HEAD")
    sock = conn.sock
    assert (response.status, data, response.getheader("Content-Length")) == (200, b"", "5")
    assert exchange(conn, "GET")[1] == b"hello" and conn.sock is sock  # no stray body read as a response


KILLED_AFTER_FIRST_WRITE = """
import os, sys
from werkzeug.serving import make_server
from moto_forge.serving import KeepAliveHandler

def app(environ, start_response):
    body = b'<?xml version="1.0"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>' \\
        b'<UploadId>the-upload</UploadId></InitiateMultipartUploadResult>'
    start_response("200 OK", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]

class DiesAfterOneWrite(KeepAliveHandler):
    def setup(self):
        super().setup()
        socket_writer = self.wfile
        class Writer:
            def write(self, data):
                socket_writer.write(data)
                os._exit(0)  # as a SIGKILL would, right after the first write
            def flush(self):
                pass
        self.wfile = Writer()

server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=DiesAfterOneWrite)
print(server.port, flush=True)
server.serve_forever()
"""


def test_a_server_killed_mid_response_never_leaves_boto3_a_headers_only_success() -> None:
    """The failure seen under SIGKILL: CreateMultipartUpload read as a 200 without its UploadId."""
    proc = subprocess.Popen([sys.executable, "-c", KILLED_AFTER_FIRST_WRITE], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        client = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="k",
            aws_secret_access_key="s",
            config=Config(retries={"max_attempts": 1}),
        )
        reply = client.create_multipart_upload(Bucket="b", Key="k")
        assert reply["UploadId"] == "the-upload"
        assert proc.wait(timeout=10) == 0  # it did die after that one write
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


class _ComparingHandler(KeepAliveHandler):
    """Builds each request's environ both ways: the handler's own and werkzeug's."""

    seen: ClassVar[list[tuple[dict[str, Any] | None, dict[str, Any]]]] = []

    def make_environ(self) -> Any:
        from werkzeug.serving import WSGIRequestHandler

        self.seen.append((self._plain_environ(), WSGIRequestHandler.make_environ(self)))
        return super().make_environ()


@pytest.mark.parametrize(
    ("target", "headers", "plain"),
    [
        ("/bucket/key?list-type=2&prefix=a%2Fb", {"X-Amz-Date": "20260101T000000Z"}, True),
        ("/b/caf%C3%A9%20%2B%3F?x=%C3%A9", {"Content-Type": "text/plain", "X-Dup": "1"}, True),
        ("/b/k%2Fslash?uploads", {"X-Amz-Meta-A_b": "underscore, dropped"}, True),
        ("/b/k?a=1#fragment", {}, False),
        ("/b/%ZZnot-escaped", {"Origin": "http://x"}, True),
    ],
)
def test_the_plain_environ_is_werkzeugs(
    serve: Callable[..., int], connect: Connect, target: str, headers: dict[str, str], plain: bool
) -> None:
    _ComparingHandler.seen.clear()
    port = serve(echo, _ComparingHandler)
    conn = connect(port)
    conn.putrequest("PUT", target, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.putheader("X-Dup", "2")
    conn.putheader("Content-Length", "3")
    conn.endheaders(b"abc")
    assert conn.getresponse().read() == b"abc"
    ours, werkzeugs = _ComparingHandler.seen[0]
    if not plain:
        assert ours is None
        return
    assert ours is not None
    assert ours == werkzeugs
    assert ours["HTTP_X_DUP"] == ("1,2" if headers.get("X-Dup") else "2")


def test_a_malformed_chunked_body_reads_as_malformed_body_and_a_good_one_reads_whole(
    serve: Callable[[App], int],
) -> None:
    """werkzeug's chunked decoder raises ``OSError`` on broken framing; an app reading the
    body gets :class:`MalformedBody` (a ``BadRequest``) instead, and a good body reads whole."""
    from werkzeug.exceptions import BadRequest

    from moto_forge.serving import MalformedBody

    def reader(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            body = environ["wsgi.input"].read()
        except BadRequest as exc:
            body = type(exc).__name__.encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    port = serve(reader)
    for framed, expected in [
        (b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", b"abcde"),
        (b"zz\r\nabc\r\n", MalformedBody.__name__.encode()),
        (b"10\r\nabc", MalformedBody.__name__.encode()),
    ]:
        sock = raw_request(port, ["Transfer-Encoding: chunked"])
        sock.sendall(framed)
        sock.shutdown(socket.SHUT_WR)
        reply = read_reply(sock)
        sock.close()
        assert reply.split(b"\r\n\r\n", 1)[1] == expected, reply


@pytest.fixture
def balanced() -> Iterator[Callable[..., serving.BalancedServer]]:
    servers: list[serving.BalancedServer] = []

    def start(app: App, **settings: float) -> serving.BalancedServer:
        server = serving.BalancedServer("127.0.0.1", 0, app, KeepAliveHandler)
        for name, value in settings.items():
            setattr(server, name, value)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def recording(calls: list[str]) -> App:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    return app


def test_a_head_sent_a_byte_at_a_time_is_cut_off_at_its_deadline(
    balanced: Callable[..., serving.BalancedServer],
) -> None:
    calls: list[str] = []
    server = balanced(recording(calls), head_timeout=1.0)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Trickle: ")
    started = time.monotonic()
    ended = None
    for _ in range(40):  # a byte every 0.2 s: each read is well within the idle timeout
        time.sleep(0.2)
        try:
            sock.sendall(b"a")
        except OSError:
            ended = time.monotonic()
            break
    if ended is None:  # the writes may all land in buffers: the read side tells
        assert sock.recv(100) == b""
        ended = time.monotonic()
    sock.close()
    assert ended - started < 3.5, "the head's deadline (1 s) did not end the connection"
    assert server.deadlines.expired == 1
    assert calls == []  # a cut-short head is never served
    reply = raw_get(server.port, "/after")
    assert reply.startswith(b"HTTP/1.1 200") and calls == ["/after"]


def raw_get(port: int, path: str, sock: socket.socket | None = None) -> bytes:
    """One GET's reply, on ``sock`` (left open) or on a connection of its own."""
    if sock is None:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as own:
            return raw_get(port, path, own)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return read_reply(sock)


def test_the_deadline_starts_at_a_requests_first_byte_not_while_idle(
    balanced: Callable[..., serving.BalancedServer],
) -> None:
    calls: list[str] = []
    server = balanced(recording(calls), head_timeout=0.5)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    time.sleep(1.2)  # idle before the first request
    assert raw_get(server.port, "/one", sock).startswith(b"HTTP/1.1 200")
    time.sleep(1.2)  # idle between two requests of one kept-open connection
    assert raw_get(server.port, "/two", sock).startswith(b"HTTP/1.1 200")
    sock.close()
    assert calls == ["/one", "/two"] and server.deadlines.expired == 0


def test_connections_past_the_cap_wait_until_one_ends(balanced: Callable[..., serving.BalancedServer]) -> None:
    calls: list[str] = []
    server = balanced(recording(calls), max_connections=2)
    held = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(2)]
    for sock in held:  # both served once, and kept open
        assert raw_get(server.port, "/held", sock).startswith(b"HTTP/1.1 200")
    waiting = socket.create_connection(("127.0.0.1", server.port), timeout=10)  # the backlog takes it
    waiting.sendall(b"GET /waiting HTTP/1.1\r\nHost: x\r\n\r\n")
    waiting.settimeout(0.6)
    with pytest.raises(TimeoutError):
        waiting.recv(100)
    assert server.open_connections == 2 and calls == ["/held", "/held"]
    held[0].close()  # a place frees up: the waiting connection is served
    waiting.settimeout(10)
    assert read_reply(waiting).startswith(b"HTTP/1.1 200")
    assert calls[-1] == "/waiting"
    waiting.close()
    held[1].close()


def slow_aware_echo(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """``echo``, answering a body that fell below the minimum rate with a 400 ``slow``."""
    try:
        body = environ["wsgi.input"].read()
    except serving.BodyTooSlow:
        start_response("400 Bad Request", [("Content-Length", "4")])
        return [b"slow"]
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


def trickle(sock: socket.socket, pieces: int, piece: bytes, pause: float) -> None:
    """Send ``piece`` ``pieces`` times, ``pause`` seconds apart, until the server stops reading."""
    for _ in range(pieces):
        try:
            sock.sendall(piece)
        except OSError:
            return
        time.sleep(pause)


def test_a_body_below_the_minimum_rate_is_answered_and_the_connection_closed(
    balanced: Callable[..., serving.BalancedServer],
) -> None:
    server = balanced(slow_aware_echo, body_grace=1.0, body_min_rate=1000.0)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(b"PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
    started = time.monotonic()
    sender = threading.Thread(target=trickle, args=(sock, 60, b"x" * 10, 0.1), daemon=True)
    sender.start()  # 100 bytes/s: each piece well within the idle timeout
    reply = read_reply(sock)
    assert time.monotonic() - started < 3.5, "the body's deadline (1 s + 1 s per 1000 bytes) did not end it"
    assert reply.startswith(b"HTTP/1.1 400") and reply.endswith(b"slow")
    assert b"Connection: close" in reply and server.deadlines.expired == 1
    sock.settimeout(5)
    assert sock.recv(100) == b""  # the connection ends after the answer
    sock.close()
    sender.join()


def test_a_body_above_the_minimum_rate_is_read_whole_however_long_it_takes(
    balanced: Callable[..., serving.BalancedServer],
) -> None:
    server = balanced(slow_aware_echo, body_grace=0.5, body_min_rate=1000.0)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"PUT /steady HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n")
        started = time.monotonic()
        trickle(sock, 10, b"y" * 300, 0.12)  # 2500 bytes/s, for longer than the grace
        reply = read_reply(sock)
        assert time.monotonic() - started > 0.9
        assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"y" * 3000)
    assert server.deadlines.expired == 0


def test_the_body_clock_stops_while_the_app_works_between_reads(
    balanced: Callable[..., serving.BalancedServer],
) -> None:
    def pausing(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        first = environ["wsgi.input"].read(10)
        time.sleep(1.2)  # longer than the grace: the app's time, not the client's
        rest = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Length", str(len(first + rest)))])
        return [first + rest]

    server = balanced(pausing, body_grace=0.5, body_min_rate=1000.0)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"PUT /paused HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n" + b"z" * 20)
        reply = read_reply(sock)
        assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"z" * 20)
        assert raw_get(server.port, "/again", sock).startswith(b"HTTP/1.1 200")  # still open
    assert server.deadlines.expired == 0


def test_the_paced_stream_keeps_the_buffered_streams_contract() -> None:
    """``read(n)`` and ``readinto`` return fewer bytes only at the end of the stream, however
    the bytes arrive; ``read()`` and ``read(None)`` read to the end; ``readline`` a line."""
    from moto_forge.deadlines import Deadlines

    ours, theirs = socket.socketpair()
    with ours, theirs:
        paced = serving._PacedBody(ours.makefile("rb"), ours, Deadlines(), 5.0, 1000.0)

        def send() -> None:
            for piece in (b"line one\r\n", b"ab", b"cdef", b"ghij" * 3, b"tail"):
                theirs.sendall(piece)
                time.sleep(0.05)
            theirs.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        assert paced.readline() == b"line one\r\n"
        assert paced.read(4) == b"abcd"  # two receives
        buffer = bytearray(8)
        assert paced.readinto(buffer) == 8 and bytes(buffer) == b"efghijgh"
        assert paced.read(None) == b"ijghijtail"
        assert paced.read(3) == b"" and paced.readinto(bytearray(2)) == 0
        sender.join()
        assert not paced.too_slow
