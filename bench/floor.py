"""The floor: an in-memory S3 endpoint that does only what no server can skip.

``bench/s3.py`` runs it beside moto_forge and moto_server, through the same
boto3 workload, to measure the most any server could show through that
client on this machine.  Its figure over moto_server's is the best ratio
any server could reach in that run (``best_ratio`` in the results).

What it does, and nothing more:

* PutObject reads the body and computes the hashes moto_forge's formats
  require of a write: MD5 (the ETag) on one thread, and on another the three
  SHA-256 passes (the body's ``h``, which is also what a signed
  ``x-amz-content-sha256`` is checked against; each 1 MiB chunk's CID; the
  CAR's name).  It stores nothing on disk, builds no tree, keeps no registry.
* GetObject sends the body it holds (no verification).
* ListObjectsV2 joins list entries rendered once at PUT time (the elements
  moto_forge sends) from a key list sorted once per change of the bucket.
* CreateBucket answers 200.

Bodies are taken as sent: the bench's client sends plain ones (checksums
off), never ``aws-chunked``.

Anything else is answered 501.  Run it as ``python -m bench.floor PORT``.
"""

from __future__ import annotations

import bisect
import hashlib
import queue
import sys
import threading
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape

CHUNK = 1 << 20
"""moto_forge's chunk size: the unit of the chunk CIDs' SHA-256."""

NS = "http://s3.amazonaws.com/doc/2006-03-01/"


@dataclass(slots=True)
class Stored:
    body: list[bytes]
    """As received, one piece per chunk (joining them would copy the body once more)."""
    etag: str
    last_modified: float
    entry: str
    """This object's ``<Contents>`` element of a listing (``encoding-type=url``)."""


@dataclass(slots=True)
class Bucket:
    objects: dict[str, Stored] = field(default_factory=dict)
    sorted_keys: list[str] | None = None

    def keys(self) -> list[str]:
        """The bucket's keys in order; sorted again only after a change."""
        if self.sorted_keys is None:
            self.sorted_keys = sorted(self.objects)
        return self.sorted_keys


BUCKETS: dict[str, Bucket] = {}
LOCK = threading.Lock()


def hash_body(read: Callable[[int], bytes], size: int) -> tuple[list[bytes], str]:
    """Read ``size`` bytes; return them (in pieces) and their MD5 hex.  Bodies over one chunk are
    hashed on two threads: MD5 on one, the three SHA-256 passes on the other."""
    md5, body_sha, car_sha = hashlib.md5(), hashlib.sha256(), hashlib.sha256()

    def shas(piece: bytes) -> None:
        body_sha.update(piece)
        hashlib.sha256(piece).digest()  # the chunk's CID
        car_sha.update(piece)

    if size <= CHUNK:
        data = read(size)
        md5.update(data)
        shas(data)
        return [data], md5.hexdigest()
    pieces: list[bytes] = []
    lanes = [(queue.Queue[bytes | None](4), md5.update), (queue.Queue[bytes | None](4), shas)]

    def drain(q: queue.Queue[bytes | None], fn: Callable[[bytes], object]) -> None:
        while (piece := q.get()) is not None:
            fn(piece)

    workers = [threading.Thread(target=drain, args=lane) for lane in lanes]
    for worker in workers:
        worker.start()
    left = size
    try:
        while left:
            piece = read(min(left, CHUNK))
            if not piece:
                break
            left -= len(piece)
            pieces.append(piece)
            for q, _ in lanes:
                q.put(piece)
    finally:
        for q, _ in lanes:
            q.put(None)
        for worker in workers:
            worker.join()
    return pieces, md5.hexdigest()


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def list_page(name: str, bucket: Bucket, query: dict[str, list[str]]) -> bytes:
    """One ListObjectsV2 page (prefix, max-keys, continuation-token, start-after)."""
    prefix = query.get("prefix", [""])[0]
    max_keys = min(int(query.get("max-keys", ["1000"])[0]), 1000)
    keys = bucket.keys()
    after = query.get("start-after", [""])[0]
    token = query.get("continuation-token", [""])[0]
    if token:
        after = urlsafe_b64decode(token).decode()
    start = bisect.bisect_right(keys, after) if after else 0
    start = max(start, bisect.bisect_left(keys, prefix))
    page: list[str] = []
    i = start
    while i < len(keys) and len(page) < max_keys and keys[i].startswith(prefix):
        page.append(keys[i])
        i += 1
    truncated = i < len(keys) and keys[i].startswith(prefix)
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{NS}"><Name>{name}</Name>'
        f"<Prefix>{escape(prefix)}</Prefix><MaxKeys>{max_keys}</MaxKeys><EncodingType>url</EncodingType>"
        f"<KeyCount>{len(page)}</KeyCount><IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
    )
    if truncated:
        head += f"<NextContinuationToken>{urlsafe_b64encode(page[-1].encode()).decode()}</NextContinuationToken>"
    entries = "".join(bucket.objects[k].entry for k in page)
    return (head + entries + "</ListBucketResult>").encode()


class FloorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave in separate writes

    def log_message(self, format: str, *args: object) -> None:
        pass  # no line per request

    def _reply(self, status: int, headers: dict[str, str], body: bytes | list[bytes] = b"") -> None:
        pieces = [body] if isinstance(body, bytes) else body
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(sum(len(p) for p in pieces)))
        self.end_headers()
        if self.command != "HEAD":
            for piece in pieces:
                self.wfile.write(piece)

    def _address(self) -> tuple[str, str, dict[str, list[str]]]:
        url = urlsplit(self.path)
        bucket, _, key = unquote(url.path).lstrip("/").partition("/")
        return bucket, key, parse_qs(url.query, keep_blank_values=True)

    def do_PUT(self) -> None:
        name, key, _ = self._address()
        size = int(self.headers.get("Content-Length") or 0)
        if not key:
            self.rfile.read(size)  # a CreateBucketConfiguration, if any
            with LOCK:
                BUCKETS.setdefault(name, Bucket())
            self._reply(200, {"Location": f"/{name}"})
            return
        pieces, etag = hash_body(self.rfile.read, size)
        now = time.time()
        entry = (
            f"<Contents><Key>{quote(key, safe='/')}</Key><LastModified>{iso(now)}</LastModified>"
            f"<ETag>&quot;{etag}&quot;</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
        )
        with LOCK:
            bucket = BUCKETS.setdefault(name, Bucket())
            if key not in bucket.objects:
                bucket.sorted_keys = None
            bucket.objects[key] = Stored(pieces, etag, now, entry)
        self._reply(200, {"ETag": f'"{etag}"'})

    def do_GET(self) -> None:
        name, key, query = self._address()
        bucket = BUCKETS.get(name)
        if bucket is None:
            self._reply(404, {})
            return
        if not key:
            with LOCK:
                page = list_page(name, bucket, query)
            self._reply(200, {"Content-Type": "application/xml"}, page)
            return
        stored = bucket.objects.get(key)
        if stored is None:
            self._reply(404, {})
            return
        self._reply(
            200,
            {
                "ETag": f'"{stored.etag}"',
                "Last-Modified": self.date_time_string(int(stored.last_modified)),
                "Content-Type": "binary/octet-stream",
            },
            stored.body,
        )

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        self._reply(501, {})

    def do_DELETE(self) -> None:
        self._reply(501, {})


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), FloorHandler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
