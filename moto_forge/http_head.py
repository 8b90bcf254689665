"""An HTTP/1.1 request head: the request line and the header fields (pure parsing over a
readable stream; no server).

What ``http.server`` does with ``http.client.parse_headers``, without the ``email``
package (a generic MIME parser: a sixth of a small GET's CPU here), and stricter where
that parser is lenient in ways a hostile client can use:

* a header line that is not ``name: value`` (no colon, an empty name, or whitespace or a
  control character in the name) is refused, where ``email`` silently ended the headers
  there and took the rest for body;
* a folded line (obs-fold: a line starting with a space or tab, deprecated by RFC 9112)
  is refused, as that RFC allows, rather than joined to the field before it.

Limits are ``http.client``'s: 65 536 bytes per line, 100 fields.  Values are decoded as
ISO-8859-1 with leading blanks and the line break removed, as ``http.client`` gives them.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Protocol

MAX_LINE = 65536
MAX_FIELDS = 100

_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 ``token``: what a field name may be."""


class LineReader(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


class HeadError(Exception):
    """A request head this server refuses: the HTTP status and reason to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


class RequestHeaders:
    """Header fields in the order received, looked up case-insensitively (the part of
    ``email.message.Message`` that werkzeug and the keep-alive handler use)."""

    __slots__ = ("_fields",)

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first field named ``name`` (any case), else ``default``."""
        wanted = name.lower()
        for field, value in self._fields:
            if field.lower() == wanted:
                return value
        return default

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)


def read_headers(rfile: LineReader) -> RequestHeaders:
    """Read header lines up to the empty line from ``rfile``.  :class:`HeadError` (431, or
    400 for a malformed line or a head the stream ends inside) if they cannot be taken: a
    request whose head was cut short (the client closed, or its head's deadline passed) is
    never served with the header fields that came."""
    fields: list[tuple[str, str]] = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise HeadError(431, "Line too long")
        if not line.endswith(b"\n"):
            raise HeadError(400, "Incomplete request head")
        if line in (b"\r\n", b"\n"):
            return RequestHeaders(fields)
        if len(fields) >= MAX_FIELDS:
            raise HeadError(431, "Too many headers")
        text = line.decode("iso-8859-1")
        name, colon, value = text.partition(":")
        if not colon or _NAME.fullmatch(name) is None:
            reason = "Folded header line" if text[:1] in (" ", "\t") else "Malformed header line"
            raise HeadError(400, reason)
        fields.append((name, value.lstrip(" \t").rstrip("\r\n")))


class RequestLine(NamedTuple):
    method: str
    target: str
    version: str
    """As sent: ``HTTP/1.1``."""
    number: tuple[int, int]
    """The version's ``(major, minor)``."""


def request_line(raw: bytes) -> RequestLine:
    """The request line's parts (``HTTP/0.9``'s two-word form is refused); :class:`HeadError`
    (400, or 505 for HTTP/2 and later) if it is not one."""
    words = raw.decode("iso-8859-1").rstrip("\r\n").split()
    if len(words) != 3:
        raise HeadError(400, "Bad request syntax")
    method, target, version = words
    number = version[5:].split(".") if version.startswith("HTTP/") else []
    if len(number) != 2 or not all(part.isdigit() and len(part) <= 10 for part in number):
        raise HeadError(400, "Bad request version")
    major, minor = int(number[0]), int(number[1])
    if major >= 2:
        raise HeadError(505, "Invalid HTTP version")
    return RequestLine(method, target, version, (major, minor))
