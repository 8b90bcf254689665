"""aws-chunked request bodies, decoded as a stream.

Wire form (``Content-Encoding: aws-chunked``; ``x-amz-content-sha256`` one
of the ``STREAMING-*`` values)::

    <hex size>[;chunk-signature=<64 hex>]\\r\\n<size bytes>\\r\\n ... 0[;chunk-signature=...]\\r\\n
    [<trailer name>:<value>\\r\\n ...]\\r\\n

The reader yields the decoded bytes, checks that they add up to
``x-amz-decoded-content-length``, hands each chunk's signature to an
optional verifier (SigV4 streaming), and collects the trailers (where
clients send ``x-amz-checksum-*`` for uploads they checksum as they send).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from moto_forge.errors import IncompleteBody
from moto_forge.errors import InvalidRequest as InvalidChunking

MAX_LINE = 4096
"""Longest chunk header or trailer line accepted."""
MAX_CHUNK = 64 << 20
"""Largest chunk accepted (clients send 8 KiB - 8 MiB)."""
MAX_TRAILERS = 16


class LineReader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def readline(self, size: int = -1, /) -> bytes: ...


ChunkVerifier = Callable[[bytes, str | None], None]
"""``verify(chunk data, chunk signature or None)``; raises to reject the body."""


class AwsChunkedReader:
    """A readable of the decoded body (see the module docstring)."""

    def __init__(self, raw: LineReader, decoded_length: int | None, verify: ChunkVerifier | None = None) -> None:
        self._raw = raw
        self._expected = decoded_length
        self._verify = verify
        self._left = 0  # bytes left in the current chunk
        self._done = False
        self._total = 0
        self._pending: list[bytes] = []  # data of the current chunk, for signature verification
        self.trailers: dict[str, str] = {}

    def _line(self) -> bytes:
        line = self._raw.readline(MAX_LINE + 2)
        if not line:
            raise IncompleteBody("The request body ended before its last chunk")
        if not line.endswith(b"\r\n"):
            raise InvalidChunking("An aws-chunked header line is malformed or too long")
        return line[:-2]

    def _next_chunk(self) -> None:
        header = self._line()
        size_text, _, ext = header.partition(b";")
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise InvalidChunking("An aws-chunked size is not hexadecimal") from exc
        if size < 0 or size > MAX_CHUNK:
            raise InvalidChunking(f"An aws-chunked chunk of {size} bytes is over the {MAX_CHUNK}-byte limit")
        signature = None
        if ext:
            name, _, value = ext.partition(b"=")
            if name.strip() != b"chunk-signature":
                raise InvalidChunking("Unknown aws-chunked chunk extension")
            signature = value.strip().decode("ascii", "replace")
        self._signature = signature
        if size == 0:
            if self._verify is not None:
                self._verify(b"", signature)
            self._read_trailers()
            self._done = True
            if self._expected is not None and self._total != self._expected:
                raise IncompleteBody(
                    f"The decoded body has {self._total} bytes; x-amz-decoded-content-length says {self._expected}"
                )
        self._left = size

    def _read_trailers(self) -> None:
        for _ in range(MAX_TRAILERS + 1):
            line = self._raw.readline(MAX_LINE + 2)
            if line in (b"", b"\r\n", b"\n"):
                return
            name, sep, value = line.strip().partition(b":")
            if not sep:
                raise InvalidChunking("A trailer line is not name:value")
            self.trailers[name.strip().lower().decode("ascii", "replace")] = value.strip().decode("ascii", "replace")
        raise InvalidChunking(f"More than {MAX_TRAILERS} trailers")

    def read(self, size: int = -1) -> bytes:
        out: list[bytes] = []
        want = size if size >= 0 else 1 << 62
        while want > 0 and not self._done:
            if self._left == 0:
                self._next_chunk()
                continue
            data = self._raw.read(min(want, self._left))
            if not data:
                raise IncompleteBody("The request body ended inside a chunk")
            self._left -= len(data)
            self._total += len(data)
            if self._expected is not None and self._total > self._expected:
                raise IncompleteBody("The decoded body is longer than x-amz-decoded-content-length")
            want -= len(data)
            out.append(data)
            if self._verify is not None:
                self._pending.append(data)
            if self._left == 0:
                if self._raw.read(2) != b"\r\n":
                    raise InvalidChunking("An aws-chunked chunk is not followed by CRLF")
                if self._verify is not None:
                    self._verify(b"".join(self._pending), self._signature)
                    self._pending = []
        return b"".join(out)
