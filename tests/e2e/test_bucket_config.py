"""Bucket configuration is bucket state: it survives a restart and travels with export /
import, and ListBuckets filters by the stored region."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from tests.e2e.conftest import client, start_server

LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                   "Resource": "arn:aws:s3:::conf/*"}],
}  # fmt: skip


def regional(url: str, region: str) -> Any:
    return boto3.client("s3", region_name=region, endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")  # fmt: skip


def configure_everything(url: str) -> None:
    """Set every kind of bucket configuration moto keeps on bucket ``conf`` (eu-west-1),
    with ``logs`` as its logging target and ``locked`` created with Object Lock."""
    s3 = regional(url, "eu-west-1")
    where = {"LocationConstraint": "eu-west-1"}
    s3.create_bucket(Bucket="conf", CreateBucketConfiguration=where)  # type: ignore[arg-type]
    s3.create_bucket(Bucket="logs", CreateBucketConfiguration=where)  # type: ignore[arg-type]
    s3.create_bucket(Bucket="locked", CreateBucketConfiguration=where, ObjectLockEnabledForBucket=True)  # type: ignore[arg-type]
    owner = s3.get_bucket_acl(Bucket="logs")["Owner"]
    grants = [{"Grantee": {"URI": LOG_DELIVERY, "Type": "Group"}, "Permission": p} for p in ("WRITE", "READ_ACP")]
    grants.append({"Grantee": {"ID": owner["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"})
    s3.put_bucket_acl(Bucket="logs", AccessControlPolicy={"Grants": grants, "Owner": owner})
    s3.put_bucket_versioning(Bucket="conf", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket="conf", Policy=json.dumps(POLICY))
    s3.put_bucket_cors(Bucket="conf", CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["http://app.example"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"],
         "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})  # fmt: skip
    rule = {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}
    s3.put_bucket_lifecycle_configuration(Bucket="conf", LifecycleConfiguration={"Rules": [rule]})  # type: ignore[list-item]
    s3.put_bucket_encryption(Bucket="conf", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})  # fmt: skip
    s3.put_bucket_website(Bucket="conf", WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})  # fmt: skip
    s3.put_bucket_tagging(Bucket="conf", Tagging={"TagSet": [{"Key": "team", "Value": "storage"}]})
    s3.put_public_access_block(Bucket="conf", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True})  # fmt: skip
    s3.put_bucket_ownership_controls(Bucket="conf", OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})  # fmt: skip
    s3.put_bucket_accelerate_configuration(Bucket="conf", AccelerateConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket="conf", NotificationConfiguration={
        "EventBridgeConfiguration": {}})  # fmt: skip
    s3.put_bucket_logging(Bucket="conf", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "conf/"}})  # fmt: skip
    s3.put_bucket_replication(Bucket="conf", ReplicationConfiguration={
        "Role": "arn:aws:iam::123456789012:role/replication",
        "Rules": [{"ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws:s3:::logs"}}]})  # fmt: skip
    s3.put_bucket_inventory_configuration(Bucket="conf", Id="weekly", InventoryConfiguration={
        "Id": "weekly", "IsEnabled": True, "IncludedObjectVersions": "Current",
        "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::logs", "Format": "CSV"}},
        "Schedule": {"Frequency": "Weekly"}})  # fmt: skip
    s3.put_object_lock_configuration(Bucket="locked", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}})  # fmt: skip


def read_everything(url: str, bucket: str = "conf", locked: str = "locked") -> dict[str, Any]:
    """Every configuration GET of ``bucket`` (and Object Lock of ``locked``), without the
    response metadata."""
    s3 = regional(url, "eu-west-1")
    calls = {
        "location": lambda: s3.get_bucket_location(Bucket=bucket),
        "acl": lambda: s3.get_bucket_acl(Bucket=bucket),
        "versioning": lambda: s3.get_bucket_versioning(Bucket=bucket),
        "policy": lambda: s3.get_bucket_policy(Bucket=bucket),
        "cors": lambda: s3.get_bucket_cors(Bucket=bucket),
        "lifecycle": lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket),
        "encryption": lambda: s3.get_bucket_encryption(Bucket=bucket),
        "website": lambda: s3.get_bucket_website(Bucket=bucket),
        "tagging": lambda: s3.get_bucket_tagging(Bucket=bucket),
        "public_access_block": lambda: s3.get_public_access_block(Bucket=bucket),
        "ownership": lambda: s3.get_bucket_ownership_controls(Bucket=bucket),
        "accelerate": lambda: s3.get_bucket_accelerate_configuration(Bucket=bucket),
        "notification": lambda: s3.get_bucket_notification_configuration(Bucket=bucket),
        "logging": lambda: s3.get_bucket_logging(Bucket=bucket),
        "replication": lambda: s3.get_bucket_replication(Bucket=bucket),
        "inventory": lambda: s3.get_bucket_inventory_configuration(Bucket=bucket, Id="weekly"),
        "object_lock": lambda: s3.get_object_lock_configuration(Bucket=locked),
        "locked_versioning": lambda: s3.get_bucket_versioning(Bucket=locked),
    }
    got = {}
    for name, call in calls.items():
        response = call()
        response.pop("ResponseMetadata")
        got[name] = response
    return got


def test_every_kind_of_bucket_configuration_survives_a_restart_and_export_import(tmp_path: Path) -> None:
    data_dir = str(tmp_path)
    first = start_server(data_dir)
    try:
        configure_everything(first.url)
        before = read_everything(first.url)
    finally:
        first.stop()
    assert before["location"]["LocationConstraint"] == "eu-west-1"
    assert json.loads(before["policy"]["Policy"]) == POLICY
    assert before["cors"]["CORSRules"][0]["AllowedOrigins"] == ["http://app.example"]
    assert before["logging"]["LoggingEnabled"]["TargetBucket"] == "logs"
    assert before["accelerate"]["Status"] == "Enabled"
    retention = before["object_lock"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("GOVERNANCE", 3)
    assert before["locked_versioning"]["Status"] == "Enabled"

    second = start_server(data_dir)
    try:
        assert read_everything(second.url) == before
        s3 = client(second.url)
        in_region = s3.list_buckets(BucketRegion="eu-west-1")["Buckets"]
        assert sorted(b["Name"] for b in in_region) == ["conf", "locked", "logs"]
        assert s3.list_buckets(BucketRegion="us-east-1")["Buckets"] == []
    finally:
        second.stop()

    car = str(tmp_path / "conf.car")
    for args in (["export", "conf", "--out", car], ["import", car, "conf-copy"]):
        done = subprocess.run([sys.executable, "-m", "moto_forge.cli", *args, "--data-dir", data_dir],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
    third = start_server(data_dir)
    try:
        copied = read_everything(third.url, "conf-copy")
        assert copied == before
    finally:
        third.stop()


def test_a_configuration_change_is_a_write_with_its_own_root(tmp_path: Path) -> None:
    """Setting a configuration makes a new bucket root; deleting it again returns the bucket
    to the state it was created in, so to the very same root CID."""
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        created = s3.create_bucket(Bucket="hist")["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"]
        rules = {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]}
        put = s3.put_bucket_cors(Bucket="hist", CORSConfiguration=rules)["ResponseMetadata"]["HTTPHeaders"]
        deleted = s3.delete_bucket_cors(Bucket="hist")["ResponseMetadata"]["HTTPHeaders"]
        assert put["x-forge-root"] != created and deleted["x-forge-root"] == created
        assert s3.head_bucket(Bucket="hist")["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        served.stop()
