"""The server-stack candidate ``make bench`` measures (``bench/granian_app.py`` under granian,
``bench/peers.py``'s ``moto_forge@granian``) is the real application: it stores and serves
objects and checks signatures, as ``serve`` does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from bench.peers import ACCESS, GRANIAN, SECRET, Running
from tests.bench.conftest import bench_peer


@pytest.fixture
def granian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    with bench_peer(GRANIAN, tmp_path, monkeypatch) as server:
        yield server


def _client(url: str, secret: str = SECRET) -> object:
    return boto3.client("s3", endpoint_url=url, aws_access_key_id=ACCESS, aws_secret_access_key=secret,
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))  # fmt: skip


def test_the_granian_candidate_stores_serves_and_checks_signatures(granian: Running) -> None:
    s3 = _client(granian.url)
    s3.create_bucket(Bucket="stack")  # type: ignore[attr-defined]
    body = bytes(range(256)) * 64
    s3.put_object(Bucket="stack", Key="k", Body=body)  # type: ignore[attr-defined]
    got = s3.get_object(Bucket="stack", Key="k")  # type: ignore[attr-defined]
    assert got["Body"].read() == body
    assert "x-forge-root" in {k.lower() for k in got["ResponseMetadata"]["HTTPHeaders"]}
    with pytest.raises(ClientError) as refused:
        _client(granian.url, secret="not-the-secret").get_object(Bucket="stack", Key="k")  # type: ignore[attr-defined]
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
