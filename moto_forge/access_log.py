"""The server's access log: one line per request, when it is done (its body sent), with
the S3 operation, status, latency and request id; as text, or as JSON lines
(``--log-format json``) for containers and log collectors."""

from __future__ import annotations

import contextlib
import datetime
import json
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

from werkzeug.wsgi import ClosingIterator

OPERATION = "moto_forge.operation"
"""The environ key S3App sets to the request's S3 operation (:mod:`moto_forge.s3.operations`)."""
FORMATS = ("text", "json")


class AccessLog:
    """WSGI middleware writing one line per request to ``stream`` (default stderr)."""

    def __init__(self, app: Any, log_format: str = "text", stream: TextIO | None = None) -> None:
        if log_format not in FORMATS:
            raise ValueError(f"log format {log_format!r}: text or json")
        self.app = app
        self.log_format = log_format
        self.stream = stream

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.monotonic()
        seen: dict[str, Any] = {}

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        def done() -> None:
            self.write(environ, seen, (time.monotonic() - started) * 1000)

        return ClosingIterator(self.app(environ, recording), [done])

    def write(self, environ: dict[str, Any], seen: dict[str, Any], ms: float) -> None:
        headers = {name.lower(): value for name, value in seen.get("headers") or []}
        status = str(seen.get("status", "000")).split(" ", 1)[0]
        path = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        fields = {
            "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
            "remote": environ.get("REMOTE_ADDR", "-"),
            "method": environ.get("REQUEST_METHOD", "-"),
            "path": path,
            "status": int(status) if status.isdigit() else 0,
            "operation": environ.get(OPERATION, "-"),
            "ms": round(ms, 2),
            "request_id": headers.get("x-amz-request-id") or headers.get("x-amzn-requestid") or "-",
        }
        if self.log_format == "json":
            line = json.dumps(fields, ensure_ascii=False)
        else:
            line = (f"{fields['remote']} {fields['method']} {path} {fields['status']} {fields['operation']} "
                    f"{fields['ms']:.1f}ms {fields['request_id']}")  # fmt: skip
        stream = self.stream or sys.stderr
        with contextlib.suppress(OSError, ValueError):  # a closed log stream never fails a request
            print(line, file=stream, flush=True)
