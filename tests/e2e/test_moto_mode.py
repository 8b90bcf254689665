"""What a server without credentials decides as moto decides it, and the bucket state moto
keeps that lives in the Forge store: unsigned requests against object ACLs, moto's
cross-account switch, server access logging of requests served by the streaming path, the
Resource Groups Tagging API over stored bucket tags, and account-regional buckets, all
still true after a restart."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import Served, start_server

pytestmark = pytest.mark.no_forge

ACCOUNT = "123456789012"


def aws(server: Served, service: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        service, endpoint_url=server.url, region_name=region, aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


def test_unsigned_requests_follow_object_acls_and_bucket_policies(tmp_path: Path) -> None:
    server = start_server(str(tmp_path))
    try:
        s3 = aws(server, "s3")
        s3.create_bucket(Bucket="acls")
        s3.put_object(Bucket="acls", Key="plain", Body=b"no acl")
        s3.put_object(Bucket="acls", Key="private", Body=b"secret", ACL="private")
        s3.put_object(Bucket="acls", Key="public", Body=b"open", ACL="public-read")
        get = lambda key: requests.get(f"{server.url}/acls/{key}", timeout=30)  # noqa: E731
        assert get("plain").content == b"no acl"  # no ACL set: moto serves it
        refused = get("private")
        assert refused.status_code == 403 and refused.content == b""
        assert get("public").content == b"open"
        assert s3.get_object(Bucket="acls", Key="private")["Body"].read() == b"secret"  # signed: served
        deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                                                        "Resource": "arn:aws:s3:::acls/public"}]}  # fmt: skip
        s3.put_bucket_policy(Bucket="acls", Policy=json.dumps(deny))
        assert get("public").status_code == 403
        assert requests.put(f"{server.url}/acls/private", data=b"overwrite", timeout=30).status_code == 403
        assert s3.get_object(Bucket="acls", Key="private")["Body"].read() == b"secret"
    finally:
        server.stop()


def test_moto_cross_account_switch_and_account_regional_buckets(tmp_path: Path) -> None:
    env_off = {"MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS": "false"}
    server = start_server(str(tmp_path))
    try:
        s3 = aws(server, "s3")
        s3.create_bucket(Bucket="owned")
        name = f"mine-{ACCOUNT}-us-east-1-an"
        made = s3.create_bucket(Bucket=name, BucketNamespace="account-regional")
        assert made["BucketArn"] == f"arn:aws:s3:::{name}"
    finally:
        server.stop()
    server = _start_with_env(tmp_path, env_off)
    try:
        s3 = aws(server, "s3")
        other = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="other",
                             aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))  # fmt: skip
        s3.put_object(Bucket="owned", Key="k", Body=b"v")
        # a request naming another account (moto reads x-moto-account-id) is refused the bucket
        other.meta.events.register("before-sign.s3.*", _as_account("222222222222"))
        with pytest.raises(ClientError) as refused:
            other.list_objects_v2(Bucket="owned")
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        with pytest.raises(ClientError) as exists:
            other.create_bucket(Bucket="owned")
        assert exists.value.response["Error"]["Code"] == "BucketAlreadyExists"
        assert s3.get_object(Bucket="owned", Key="k")["Body"].read() == b"v"
        assert s3.head_bucket(Bucket=f"mine-{ACCOUNT}-us-east-1-an")["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        server.stop()


def _as_account(account: str) -> Any:
    def add(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    return add


def _start_with_env(tmp_path: Path, env: dict[str, str]) -> Served:
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return start_server(str(tmp_path))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_access_logging_and_tagging_api_see_the_stored_state(tmp_path: Path) -> None:
    server = start_server(str(tmp_path))
    try:
        s3 = aws(server, "s3")
        s3.create_bucket(Bucket="logged")
        s3.create_bucket(Bucket="logs")
        owner = s3.get_bucket_acl(Bucket="logs")["Owner"]
        delivery = {"URI": "http://acs.amazonaws.com/groups/s3/LogDelivery", "Type": "Group"}
        grants = [{"Grantee": delivery, "Permission": "WRITE"}, {"Grantee": delivery, "Permission": "READ_ACP"}]
        s3.put_bucket_acl(Bucket="logs", AccessControlPolicy={"Owner": owner, "Grants": grants})
        s3.put_bucket_logging(Bucket="logged", BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "access/"}})  # fmt: skip
        before = s3.list_objects_v2(Bucket="logs").get("KeyCount", 0)
        s3.put_object(Bucket="logged", Key="k", Body=b"v")  # served by the streaming path
        s3.get_object(Bucket="logged", Key="k")["Body"].read()
        logs = s3.list_objects_v2(Bucket="logs", Prefix="access/")["Contents"]
        assert len(logs) - before >= 2
        bodies = [s3.get_object(Bucket="logs", Key=o["Key"])["Body"].read().decode() for o in logs]
        assert any("REST.PUT" in b for b in bodies) and any("REST.GET" in b for b in bodies)

        tagging = aws(server, "resourcegroupstaggingapi")
        s3.put_bucket_tagging(Bucket="logged", Tagging={"TagSet": [{"Key": "env", "Value": "prod"}]})
        tagging.tag_resources(ResourceARNList=["arn:aws:s3:::logs"], Tags={"team": "ops"})
    finally:
        server.stop()
    server = start_server(str(tmp_path))
    try:
        tagging = aws(server, "resourcegroupstaggingapi")
        found = tagging.get_resources(ResourceTypeFilters=["s3:bucket"])["ResourceTagMappingList"]
        by_arn = {r["ResourceARN"]: {t["Key"]: t["Value"] for t in r["Tags"]} for r in found}
        assert by_arn == {"arn:aws:s3:::logged": {"env": "prod"}, "arn:aws:s3:::logs": {"team": "ops"}}
        tagging.untag_resources(ResourceARNList=["arn:aws:s3:::logs"], TagKeys=["team"])
        with pytest.raises(ClientError) as untagged:  # the stored tagging is gone too
            aws(server, "s3").get_bucket_tagging(Bucket="logs")
        assert untagged.value.response["Error"]["Code"] == "NoSuchTagSet"
    finally:
        server.stop()


def test_legacy_bucket_names_when_asked(tmp_path: Path) -> None:
    """``--legacy-bucket-names`` (what moto's own suite runs with): ``_`` and upper case in new
    bucket names, path style, copies between such buckets; without it they are refused."""
    (tmp_path / "strict").mkdir()
    (tmp_path / "legacy").mkdir()
    strict = start_server(str(tmp_path / "strict"))
    try:
        with pytest.raises(ClientError) as refused:
            aws(strict, "s3").create_bucket(Bucket="log_bucket")
        assert refused.value.response["Error"]["Code"] == "InvalidBucketName"
    finally:
        strict.stop()
    server = start_server(str(tmp_path / "legacy"), "--legacy-bucket-names")
    try:
        s3 = aws(server, "s3")
        s3.create_bucket(Bucket="log_bucket")
        s3.create_bucket(Bucket="MyBucket")
        s3.put_object(Bucket="log_bucket", Key="k", Body=b"legacy")
        s3.copy_object(Bucket="MyBucket", Key="copy", CopySource={"Bucket": "log_bucket", "Key": "k"})
        assert s3.get_object(Bucket="MyBucket", Key="copy")["Body"].read() == b"legacy"
        assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == ["MyBucket", "log_bucket"]
        with pytest.raises(ClientError) as still_refused:
            s3.create_bucket(Bucket="_leading")
        assert still_refused.value.response["Error"]["Code"] == "InvalidBucketName"
    finally:
        server.stop()
