"""An HTTP proxy in front of a real Forge peer that can misbehave on demand.

``mode``: ``"pass"`` forwards; ``"fail"`` answers 503; ``"slow"`` waits
``delay`` seconds before forwarding; ``"corrupt"`` forwards but flips a byte
in the middle of every body it returns.  ``fail_next(n)`` makes just the next
``n`` requests fail (then ``pass``).  ``requests`` counts what it saw.
"""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


class FaultProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.mode = "pass"
        self.delay = 0.0
        self.requests = 0
        self._failures_left = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes, content_type: str | None = None) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                mode = proxy._next_mode()
                if mode == "fail":
                    self._answer(503, b"")
                    return
                if mode == "slow":
                    time.sleep(proxy.delay)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                try:
                    reply = requests.request(
                        self.command, proxy.target + self.path, data=body, headers=headers, timeout=60
                    )
                except requests.RequestException:
                    self._answer(502, b"")
                    return
                content = reply.content
                if mode == "corrupt" and content:
                    middle = len(content) // 2
                    content = content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :]
                with contextlib.suppress(OSError):  # the client gave up waiting (a slow answer past its timeout)
                    self._answer(reply.status_code, content, reply.headers.get("Content-Type"))

            do_GET = do_POST = do_PUT = _forward

        class QuietServer(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up (a timeout under test) is expected here

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _next_mode(self) -> str:
        with self._lock:
            self.requests += 1
            if self._failures_left > 0:
                self._failures_left -= 1
                return "fail"
            return self.mode

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures_left = count

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
