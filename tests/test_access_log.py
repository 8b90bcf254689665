"""The access log middleware (moto_forge/access_log.py), over a stub application."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.test import Client

from moto_forge.access_log import OPERATION, AccessLog


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ[OPERATION] = "PutObject"
    start_response("201 Created", [("x-amz-request-id", "RID123")])
    return [b"body"]


def test_json_lines_carry_the_operation_status_latency_and_request_id() -> None:
    out = io.StringIO()
    response = Client(AccessLog(app, "json", out)).put("/bkt/k%20ey?x=1")
    assert response.status_code == 201 and response.data == b"body"
    assert out.getvalue() == ""  # written when the server closes the body, not before
    response.close()
    entry = json.loads(out.getvalue())
    assert entry["method"] == "PUT" and entry["status"] == 201 and entry["operation"] == "PutObject"
    assert entry["request_id"] == "RID123" and entry["ms"] >= 0 and entry["path"].startswith("/bkt/k")


def test_text_lines_and_a_closed_stream_never_fail_a_request() -> None:
    out = io.StringIO()
    Client(AccessLog(app, "text", out)).get("/bkt").close()
    line = out.getvalue().strip()
    assert " GET /bkt 201 PutObject " in line and line.endswith("ms RID123")
    closed = io.StringIO()
    closed.close()
    response = Client(AccessLog(app, "text", closed)).get("/bkt")
    response.close()
    assert response.status_code == 201


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text or json"):
        AccessLog(app, "xml")
