"""Every service on one port, as ``moto_server``: a real ``moto-forge serve`` answers SQS,
DynamoDB, STS and IAM from moto beside S3 from the Forge store; ``/moto-api/`` is moto's;
``/moto-api/reset`` empties the store only when the server allows it; with credentials
configured only S3 is served."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import moto_forge
from moto_forge import tenants
from tests.e2e.conftest import Served, start_server

pytestmark = pytest.mark.no_forge


def aws(server: Served, service: str, **keys: str) -> Any:
    return boto3.client(
        service, endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id=keys.get("access", "testing"), aws_secret_access_key=keys.get("secret", "testing"),
        config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


@pytest.fixture(scope="module")
def resettable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = start_server(str(tmp_path_factory.mktemp("services")), "--allow-reset")
    yield server
    server.stop()


def test_other_services_answer_beside_s3(resettable: Served) -> None:
    s3 = aws(resettable, "s3")
    s3.create_bucket(Bucket="beside")
    s3.put_object(Bucket="beside", Key="k", Body=b"in forge")
    sqs = aws(resettable, "sqs")
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="hello")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["hello"]
    dynamo = aws(resettable, "dynamodb")
    dynamo.create_table(
        TableName="t", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    dynamo.put_item(TableName="t", Item={"id": {"S": "1"}, "v": {"S": "x"}})
    assert dynamo.get_item(TableName="t", Key={"id": {"S": "1"}})["Item"]["v"] == {"S": "x"}
    assert aws(resettable, "sts").get_caller_identity()["Account"] == "123456789012"
    iam = aws(resettable, "iam")
    iam.create_user(UserName="someone")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["someone"]
    # S3 is still moto_forge's: the object is in the Forge store and its root is reported
    got = s3.get_object(Bucket="beside", Key="k")
    assert got["Body"].read() == b"in forge" and "x-forge-root" in got["ResponseMetadata"]["HTTPHeaders"]
    assert requests.get(f"{resettable.url}/moto-api/", timeout=30).status_code == 200
    health = requests.get(f"{resettable.url}/-/health", timeout=30)
    assert health.status_code == 200 and health.json() == {"status": "ok", "version": moto_forge.__version__}
    assert requests.head(f"{resettable.url}/-/health", timeout=30).status_code == 200


def test_reset_empties_s3_and_moto_when_allowed(resettable: Served) -> None:
    s3 = aws(resettable, "s3")
    s3.create_bucket(Bucket="to-reset")
    s3.put_object(Bucket="to-reset", Key="k", Body=b"gone after reset")
    aws(resettable, "sqs").create_queue(QueueName="also-gone")
    assert requests.post(f"{resettable.url}/moto-api/reset", timeout=60).status_code == 200
    assert s3.list_buckets()["Buckets"] == []
    assert aws(resettable, "sqs").list_queues().get("QueueUrls", []) == []
    s3.create_bucket(Bucket="to-reset")  # the name is free again
    assert s3.list_objects_v2(Bucket="to-reset")["KeyCount"] == 0


def test_reset_is_refused_by_default_and_keeps_the_data(tmp_path: Path) -> None:
    server = start_server(str(tmp_path))
    try:
        s3 = aws(server, "s3")
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="k", Body=b"still here")
        response = requests.post(f"{server.url}/moto-api/reset", timeout=30)
        assert response.status_code == 409 and "allow-reset" in response.text
        assert s3.get_object(Bucket="kept", Key="k")["Body"].read() == b"still here"
    finally:
        server.stop()


def test_with_credentials_only_s3_is_served(tmp_path: Path) -> None:
    path = os.path.join(str(tmp_path), "tenants.toml")
    someone = tenants.add_tenant(path, "someone")
    server = start_server(str(tmp_path))
    try:
        keys = {"access": someone.access_key, "secret": someone.secret_key}
        aws(server, "s3", **keys).create_bucket(Bucket="mine")
        with pytest.raises(ClientError) as caught:
            aws(server, "sqs", **keys).create_queue(QueueName="q")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert requests.post(f"{server.url}/moto-api/reset", timeout=30).status_code == 403
        assert [b["Name"] for b in aws(server, "s3", **keys).list_buckets()["Buckets"]] == ["mine"]
        health = requests.get(f"{server.url}/-/health", timeout=30)  # no credentials needed
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert b"mine" not in health.content
    finally:
        server.stop()


def test_resets_hold_no_registry_connection(resettable: Served) -> None:
    """More resets (each on a connection, so a thread, of its own) than the registry pool has
    connections (64): each is answered at once, so none kept the connection it used."""
    for _ in range(70):
        assert requests.post(f"{resettable.url}/moto-api/reset", timeout=20).status_code == 200
    s3 = aws(resettable, "s3")
    s3.create_bucket(Bucket="after-resets")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["after-resets"]


def test_other_services_write_s3_into_the_forge_store_and_it_persists(tmp_path: Path) -> None:
    """The Forge backend is moto's S3 backend in ``serve``: Firehose, delivering records to a
    bucket, writes them into the Forge store (read back over S3, after a restart too)."""
    server = start_server(str(tmp_path))
    try:
        aws(server, "s3").create_bucket(Bucket="deliveries")
        firehose = aws(server, "firehose")
        firehose.create_delivery_stream(
            DeliveryStreamName="events",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose", "BucketARN": "arn:aws:s3:::deliveries",
                "Prefix": "events/",
            },
        )  # fmt: skip
        firehose.put_record(DeliveryStreamName="events", Record={"Data": b"delivered record\n"})
    finally:
        server.stop()
    server = start_server(str(tmp_path))
    try:
        s3 = aws(server, "s3")
        (entry,) = s3.list_objects_v2(Bucket="deliveries", Prefix="events/")["Contents"]
        assert s3.get_object(Bucket="deliveries", Key=entry["Key"])["Body"].read() == b"delivered record\n"
    finally:
        server.stop()
