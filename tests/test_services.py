"""The one-port router's own endpoints (moto_forge/services.py), over a stub S3 app."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import Client

from moto_forge.errors import StorageError
from moto_forge.services import ServiceRouter


class _Registry:
    def __init__(self, fail: bool) -> None:
        self.fail = fail

    def gc_epoch(self) -> int:
        if self.fail:
            raise StorageError("registry unreachable: connection refused")
        return 0


class _Service:
    def __init__(self, fail: bool) -> None:
        self.registry = _Registry(fail)
        self.released = 0

    def release_connection(self) -> None:
        self.released += 1


class _S3:
    def __init__(self, fail: bool = False) -> None:
        self.service = _Service(fail)
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        start_response("200 OK", [])
        return [b"s3"]


def test_health_answers_without_reaching_s3() -> None:
    s3 = _S3()
    response = Client(ServiceRouter(s3, other_services=False)).get("/-/health")
    assert response.status_code == 200
    assert json.loads(response.data)["status"] == "ok"
    assert s3.calls == 0 and s3.service.released == 1


def test_health_is_503_when_the_registry_does_not_answer() -> None:
    s3 = _S3(fail=True)
    response = Client(ServiceRouter(s3)).get("/-/health")
    assert response.status_code == 503
    document = json.loads(response.data)
    assert document["status"] == "unavailable" and "connection refused" in document["error"]
    assert s3.service.released == 1


def test_other_methods_on_the_health_path_go_to_s3() -> None:
    s3 = _S3()
    assert Client(ServiceRouter(s3)).post("/-/health").data == b"s3"
    assert s3.calls == 1
