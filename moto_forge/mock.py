"""``mock_forge``: like ``moto.mock_aws`` for S3, but backed by moto_forge.

Inside the context (or decorated function) an in-process moto_forge server
runs on an ephemeral loopback port and boto3/botocore clients created there
send S3 calls to it (through ``AWS_ENDPOINT_URL_S3``), with test credentials
if none are set.  Data lives in ``data_dir`` (persisting across uses when you
pass one) or in a temporary directory removed on exit.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from moto_forge.bucket.service import BucketService
from moto_forge.config import forge_settings_from_env
from moto_forge.server import ServerConfig, ServerThread, build_app

F = TypeVar("F", bound=Callable[..., Any])

ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class mock_forge:
    """Context manager and decorator (see the module docstring)."""

    def __init__(self, data_dir: str | None = None, registry_url: str | None = None, **forge: str) -> None:
        """``forge`` takes ``forge_url``, ``forge_did``, ``forge_key``, ``forge_claims``, ``write_mode``
        (default: the ``MOTO_FORGE_UPLOAD_*`` environment, as ``moto-forge serve``)."""
        self.data_dir = data_dir
        self.registry_url = registry_url
        self.forge: dict[str, Any] = {**forge_settings_from_env(), **forge}
        self._tmp: str | None = None
        self._server: ServerThread | None = None
        self._saved: dict[str, str | None] = {}
        self.service: BucketService | None = None

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "mock_forge is not active"
        return self._server.url

    def start(self) -> mock_forge:
        data_dir = self.data_dir
        if data_dir is None:
            self._tmp = data_dir = tempfile.mkdtemp(prefix="mock-forge-")
        config = ServerConfig(port=0, data_dir=data_dir, registry_url=self.registry_url, quiet=True, **self.forge)
        self.service = BucketService.open(data_dir, self.registry_url)
        self._server = ServerThread(config, build_app(config, self.service)).start()
        env = {**ENV, "AWS_ENDPOINT_URL_S3": self._server.url}
        for name, value in env.items():
            self._saved[name] = os.environ.get(name)
            if name == "AWS_ENDPOINT_URL_S3" or name not in os.environ:
                os.environ[name] = value
        return self

    def stop(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.service is not None:
            self.service.close()
            self.service = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> mock_forge:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mock_forge(self.data_dir, self.registry_url, **self.forge):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
