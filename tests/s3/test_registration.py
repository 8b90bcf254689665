"""The Forge backend as moto's S3 backend: :mod:`moto_forge.s3.registration` installs it in
moto's backend registry so that every moto entry point (moto's own ``ThreadedMotoServer``,
``mock_aws``, the other services that read and write S3) stores S3 in the Forge store, and
uninstalls it leaving moto exactly as it was."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.models import S3Backend, s3_backends
from moto.server import ThreadedMotoServer

from moto_forge.bucket.service import BucketService
from moto_forge.s3 import registration
from moto_forge.s3.backend import ForgeS3Backend
from moto_forge.s3.registration import ForgeBackends, account_of_space, forge_backend


@pytest.fixture
def service(tmp_path: Path) -> Iterator[BucketService]:
    opened = BucketService.open(str(tmp_path / "data"))
    yield opened
    opened.close()


def test_install_makes_every_account_a_forge_backend_and_uninstall_restores_moto(service: BucketService) -> None:
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="motos-own")
        before = dict(s3_backends)
        accounts_before = dict(s3_backends.bucket_accounts)
        with forge_backend(service) as backends:
            assert registration.installed() is backends
            backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
            assert isinstance(backend, ForgeS3Backend) and backend.service is service
            assert s3_backends["111122223333"]["aws"] is backends.for_account("111122223333")
            assert "motos-own" not in s3_backends.bucket_accounts
        assert s3_backends.backend is S3Backend and registration.installed() is None
        assert dict(s3_backends) == before and s3_backends.bucket_accounts == accounts_before
        assert [b["Name"] for b in boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]] == [
            "motos-own"
        ]


def test_installations_nest_and_only_the_innermost_may_leave(service: BucketService, tmp_path: Path) -> None:
    inner_service = BucketService.open(str(tmp_path / "inner"))
    try:
        outer = ForgeBackends(service)
        inner = ForgeBackends(inner_service)
        registration.install(outer)
        try:
            registration.install(inner)
            with pytest.raises(RuntimeError):
                registration.uninstall(outer)
            assert s3_backends[DEFAULT_ACCOUNT_ID]["aws"].service is inner_service
            registration.uninstall(inner)
            assert s3_backends[DEFAULT_ACCOUNT_ID]["aws"].service is service
        finally:
            registration.uninstall(outer)
        assert registration.is_moto_default()
    finally:
        inner_service.close()


def test_motos_own_threaded_server_stores_s3_in_forge(service: BucketService, tmp_path: Path) -> None:
    with forge_backend(service):
        server = ThreadedMotoServer(port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            s3 = boto3.client(
                "s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                aws_access_key_id="testing", aws_secret_access_key="testing",
            )  # fmt: skip
            s3.create_bucket(Bucket="through-moto")
            s3.put_object(Bucket="through-moto", Key="a/b.txt", Body=b"moto parsed me", ContentType="text/plain",
                          Metadata={"owner": "ann"})  # fmt: skip
            got = s3.get_object(Bucket="through-moto", Key="a/b.txt")
            assert got["Body"].read() == b"moto parsed me"
            assert got["Metadata"] == {"owner": "ann"} and got["ContentType"] == "text/plain"
            assert [o["Key"] for o in s3.list_objects_v2(Bucket="through-moto")["Contents"]] == ["a/b.txt"]
        finally:
            server.stop()
    manifest, _ = service.head_object("through-moto", "a/b.txt")
    assert (manifest.content_type, manifest.metadata) == ("text/plain", {"owner": "ann"})
    assert b"".join(service.read_body(manifest)) == b"moto parsed me"


def _lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_other_moto_services_read_and_write_the_forge_store(service: BucketService) -> None:
    with mock_aws(), forge_backend(service):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="delivered")
        s3.put_object(Bucket="delivered", Key="code.zip", Body=_lambda_zip())
        # Firehose writes its records into the bucket: through the backend, into the store
        firehose = boto3.client("firehose", region_name="us-east-1")
        firehose.create_delivery_stream(
            DeliveryStreamName="events",
            ExtendedS3DestinationConfiguration={
                "RoleARN": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/firehose", "BucketARN": "arn:aws:s3:::delivered",
                "Prefix": "events/",
            },
        )  # fmt: skip
        firehose.put_record(DeliveryStreamName="events", Record={"Data": b"one record\n"})
        # Lambda reads a function's code from the bucket: through the backend, from the store
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="lambda", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}'
        )["Role"]["Arn"]
        function = boto3.client("lambda", region_name="us-east-1").create_function(
            FunctionName="f", Runtime="python3.11", Handler="handler.handler", Role=role,
            Code={"S3Bucket": "delivered", "S3Key": "code.zip"},
        )  # fmt: skip
        assert function["CodeSize"] == len(_lambda_zip())
    keys = [key for key, _ in service.list_objects("delivered").entries]
    assert "code.zip" in keys
    (event_key,) = [k for k in keys if k.startswith("events/")]
    manifest, _ = service.head_object("delivered", event_key)
    assert b"".join(service.read_body(manifest)) == b"one record\n"


def test_a_tenants_space_is_an_account_of_its_own() -> None:
    space = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    account = account_of_space(space)
    assert account == account_of_space(space) and len(account) == 12 and account.isdigit()
    assert account != DEFAULT_ACCOUNT_ID and account_of_space(None) == DEFAULT_ACCOUNT_ID
    assert account_of_space(space + "x") != account


def test_a_tenant_account_creates_in_its_space(service: BucketService) -> None:
    space = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    backends = ForgeBackends(service, (space,))
    backends.for_account(account_of_space(space)).create_bucket("tenant-made", "us-east-1")
    backends.for_account(DEFAULT_ACCOUNT_ID).create_bucket("server-made", "us-east-1")
    spaces = {record.name: record.space for record in service.list_buckets()}
    assert spaces == {"tenant-made": space, "server-made": None}
