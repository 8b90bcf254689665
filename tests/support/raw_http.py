"""Raw HTTP/1.1 replies read off a socket, for tests that speak to a server byte by byte."""

from __future__ import annotations

import socket


def read_reply(sock: socket.socket) -> bytes:
    """Everything up to the end of one response whose body is its Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < content_length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def content_length(data: bytes) -> int:
    """The Content-Length of the response whose head starts ``data`` (0 if none)."""
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0
