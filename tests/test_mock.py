"""``mock_forge`` replaces ``mock_aws`` with only the import changed: one test suite written
for ``mock_aws`` (every decorator form, a module-level client made before any mock, SQS and
DynamoDB beside S3, credentials from the environment) runs as a real pytest session twice,
once under each, with the same outcome; under ``mock_forge`` S3 answers from moto_forge and
no socket is opened to anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = """
import unittest

import boto3
import pytest

MOCK

MODULE_CLIENT = boto3.client("s3", region_name="us-east-1")  # made before any mock starts


def forge_served(response):
    return "x-forge-root" in response["ResponseMetadata"]["HTTPHeaders"]


@mock
def test_bare_decorator_and_a_module_level_client():
    MODULE_CLIENT.create_bucket(Bucket="bare")
    put = MODULE_CLIENT.put_object(Bucket="bare", Key="k", Body=b"v")
    assert forge_served(put) == EXPECT_FORGE
    assert MODULE_CLIENT.get_object(Bucket="bare", Key="k")["Body"].read() == b"v"


@mock()
def test_called_decorator_starts_empty():
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []


def test_context_manager_with_other_services(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-looking-secret")
    with mock():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="ctx")
        s3.put_object(Bucket="ctx", Key="k", Body=b"x" * (6 << 20))  # multipart-sized body
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="m")
        assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "m"
        dynamo = boto3.client("dynamodb", region_name="us-east-1")
        dynamo.create_table(TableName="t", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        dynamo.put_item(TableName="t", Item={"id": {"S": "1"}})
        assert dynamo.get_item(TableName="t", Key={"id": {"S": "1"}})["Item"]["id"] == {"S": "1"}
        assert boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"] == "123456789012"
        assert s3.head_object(Bucket="ctx", Key="k")["ContentLength"] == 6 << 20


@mock
class TestPlainClass:
    def test_one(self):
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="plain-one")
        names = [b["Name"] for b in boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]]
        assert names == ["plain-one"]

    def test_two_is_reset(self):
        assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []


@mock
class TestUnittest(unittest.TestCase):
    def setUp(self):
        self.s3 = boto3.client("s3", region_name="us-east-1")
        self.s3.create_bucket(Bucket="from-setup")

    def test_sees_the_setup_bucket(self):
        assert [b["Name"] for b in self.s3.list_buckets()["Buckets"]] == ["from-setup"]

    def test_writes(self):
        self.s3.put_object(Bucket="from-setup", Key="k", Body=b"v")
        assert self.s3.get_object(Bucket="from-setup", Key="k")["Body"].read() == b"v"
"""

CONFTEST = """
import socket

import pytest

ATTEMPTS = []
_connect = socket.socket.connect


def recording_connect(self, address):
    ATTEMPTS.append(address)
    raise OSError(f"test suite tried to open a connection to {address}")


socket.socket.connect = recording_connect


def pytest_sessionfinish(session, exitstatus):
    if ATTEMPTS:
        print(f"CONNECTIONS ATTEMPTED: {ATTEMPTS}")
        session.exitstatus = 1
"""


@pytest.mark.parametrize(
    ("mock_import", "expect_forge"),
    [("from moto import mock_aws as mock", False), ("from moto_forge import mock_forge as mock", True)],
    ids=["mock_aws", "mock_forge"],
)
def test_a_mock_aws_suite_passes_with_only_the_import_changed(
    tmp_path: Path, mock_import: str, expect_forge: bool
) -> None:
    (tmp_path / "test_suite.py").write_text(SUITE.replace("MOCK", f"{mock_import}\nEXPECT_FORGE = {expect_forge}"))
    (tmp_path / "conftest.py").write_text(CONFTEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # what a CI job that uses moto sets: fake keys, so module-level clients can be made
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:moto_forge", "test_suite.py"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout, result.stdout
    assert "CONNECTIONS ATTEMPTED" not in result.stdout


def test_mock_forge_leaves_nothing_in_moto_after_it_stops() -> None:
    """moto's own mock_aws afterwards: a bucket name mock_forge saw is free and works there
    (moto_forge once left it in moto's process-wide bucket map: RecursionError)."""
    import boto3
    from moto import mock_aws

    from moto_forge import mock_forge

    with mock_forge():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="seen-by-forge")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="seen-by-forge")
        put = s3.put_object(Bucket="seen-by-forge", Key="k", Body=b"moto's")
        assert "x-forge-root" not in put["ResponseMetadata"]["HTTPHeaders"]
        assert s3.get_object(Bucket="seen-by-forge", Key="k")["Body"].read() == b"moto's"


def test_mock_forge_keeps_its_data_dir(tmp_path: Path) -> None:
    import boto3

    from moto_forge import mock_forge

    with mock_forge(str(tmp_path)):
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="kept")
        boto3.client("s3", region_name="us-east-1").put_object(Bucket="kept", Key="k", Body=b"kept")
    with mock_forge(str(tmp_path)):
        got = boto3.client("s3", region_name="us-east-1").get_object(Bucket="kept", Key="k")
        assert got["Body"].read() == b"kept"


def test_moto_iam_emulation_applies_to_s3_under_mock_forge(tmp_path: Path) -> None:
    """moto's ``set_initial_no_auth_action_count``: past the free requests, S3 requests are
    checked against IAM keys and policies, those moto serves and those moto_forge streams
    alike, over the request as botocore signed it (virtual-host URL included)."""
    import json

    import boto3
    from botocore.exceptions import ClientError
    from moto.core import set_initial_no_auth_action_count

    from moto_forge import mock_forge

    @set_initial_no_auth_action_count(4)
    def scenario() -> None:
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="reader")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        arn = iam.create_policy(PolicyName="s3", PolicyDocument=json.dumps(policy))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="reader", PolicyArn=arn)
        keys = iam.create_access_key(UserName="reader")["AccessKey"]  # the 4 free requests end here
        good = boto3.client("s3", region_name="us-east-1", aws_access_key_id=keys["AccessKeyId"],
                            aws_secret_access_key=keys["SecretAccessKey"])  # fmt: skip
        good.create_bucket(Bucket="iam-checked")  # served by moto
        good.put_object(Bucket="iam-checked", Key="k", Body=b"v")  # streamed by moto_forge
        assert good.get_object(Bucket="iam-checked", Key="k")["Body"].read() == b"v"
        assert good.list_objects_v2(Bucket="iam-checked")["KeyCount"] == 1
        wrong = boto3.client("s3", region_name="us-east-1", aws_access_key_id=keys["AccessKeyId"],
                             aws_secret_access_key="not-the-secret")  # fmt: skip
        for call in (lambda: wrong.get_object(Bucket="iam-checked", Key="k"),
                     lambda: wrong.put_object(Bucket="iam-checked", Key="k", Body=b"overwrite"),
                     lambda: wrong.head_bucket(Bucket="iam-checked")):  # fmt: skip
            with pytest.raises(ClientError) as refused:
                call()
            assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        stranger = boto3.client("s3", region_name="us-east-1", aws_access_key_id="AKIANOBODY",
                                aws_secret_access_key="x")  # fmt: skip
        with pytest.raises(ClientError) as unknown:
            stranger.get_object(Bucket="iam-checked", Key="k")
        assert unknown.value.response["Error"]["Code"] == "InvalidAccessKeyId"
        assert good.get_object(Bucket="iam-checked", Key="k")["Body"].read() == b"v"

    with mock_forge(str(tmp_path)):
        scenario()
