"""The request head parser: what http.client would take, faster, and stricter where that
parser let a malformed line end the headers silently."""

from __future__ import annotations

import io

import pytest

from moto_forge.http_head import MAX_FIELDS, MAX_LINE, HeadError, read_headers, request_line


def head(text: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(text))


def test_fields_keep_order_case_and_repeats() -> None:
    rfile = head(b"Host: a\r\nx-amz-meta-my_key:  v1 \r\nX-Amz-Meta-My_Key: v2\r\nEmpty:\r\n\r\nBODY")
    headers = read_headers(rfile)
    assert headers.items() == [("Host", "a"), ("x-amz-meta-my_key", "v1 "), ("X-Amz-Meta-My_Key", "v2"), ("Empty", "")]
    assert headers.get("HOST") == "a" and headers.get("x-amz-meta-MY_KEY") == "v1 "  # the first of a repeat
    assert headers.get("empty") == "" and headers.get("nope") is None and headers.get("nope", "d") == "d"
    assert rfile.read() == b"BODY"  # the body is left where it starts


def test_bare_newlines_and_a_stream_that_ends_inside_the_head() -> None:
    assert read_headers(head(b"A: 1\nB: 2\n\n")).items() == [("A", "1"), ("B", "2")]
    for cut in (b"A: 1\r\n", b"A: 1\r\nB: 2", b"A: 1", b""):  # never served with what came
        with pytest.raises(HeadError) as caught:
            read_headers(head(cut))
        assert (caught.value.status, caught.value.reason) == (400, "Incomplete request head")


@pytest.mark.parametrize(
    "text, status",
    [
        (b"No colon here\r\n\r\n", 400),
        (b": no name\r\n\r\n", 400),
        (b"Bad Name: x\r\n\r\n", 400),
        (b"A: 1\r\n continued\r\n\r\n", 400),
        (b"Ctl\x01: x\r\n\r\n", 400),
        (b"A: " + b"x" * MAX_LINE + b"\r\n\r\n", 431),
        (b"".join(b"H%d: v\r\n" % n for n in range(MAX_FIELDS + 1)) + b"\r\n", 431),
    ],
)
def test_malformed_heads_are_refused(text: bytes, status: int) -> None:
    with pytest.raises(HeadError) as info:
        read_headers(head(text))
    assert info.value.status == status


def test_request_lines() -> None:
    assert request_line(b"GET /b/k?x=1 HTTP/1.1\r\n") == ("GET", "/b/k?x=1", "HTTP/1.1", (1, 1))
    assert request_line(b"PUT / HTTP/1.0\n") == ("PUT", "/", "HTTP/1.0", (1, 0))
    for bad, status in ((b"GET /\r\n", 400), (b"GET / HTTP/1.1 x\r\n", 400), (b"GET / HTTX/1.1\r\n", 400),
                        (b"GET / HTTP/1.x\r\n", 400), (b"GET / HTTP/2.0\r\n", 505)):  # fmt: skip
        with pytest.raises(HeadError) as info:
            request_line(bad)
        assert info.value.status == status, bad
