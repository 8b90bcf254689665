"""GetObjectRetention, which moto has no handler for (moto answered ``GET ?retention`` with
the object's body; this server refused it 501 until S3App served it from the object's
attributes: ``ForgeS3Backend.get_object_retention``)."""

from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from moto_forge.mock import mock_forge

UNTIL = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
LATER = UNTIL + datetime.timedelta(days=1)


def _error(call: object) -> tuple[str, int]:
    with pytest.raises(ClientError) as refused:
        call()  # type: ignore[operator]
    response = refused.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_the_retention_a_write_or_put_object_retention_set_is_read_back_per_version() -> None:
    with mock_forge():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
        first = s3.put_object(
            Bucket="locked", Key="k", Body=b"1", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=UNTIL
        )["VersionId"]
        second = s3.put_object(Bucket="locked", Key="k", Body=b"2")["VersionId"]

        kept = s3.get_object_retention(Bucket="locked", Key="k", VersionId=first)["Retention"]
        assert kept["Mode"] == "GOVERNANCE" and kept["RetainUntilDate"] == UNTIL
        # the current version has none until PutObjectRetention gives it one
        assert _error(lambda: s3.get_object_retention(Bucket="locked", Key="k")) == (
            "NoSuchObjectLockConfiguration",
            404,
        )
        s3.put_object_retention(
            Bucket="locked", Key="k", VersionId=second, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": LATER}
        )
        current = s3.get_object_retention(Bucket="locked", Key="k")["Retention"]
        assert current["Mode"] == "COMPLIANCE" and current["RetainUntilDate"] == LATER
        assert s3.get_object_retention(Bucket="locked", Key="k", VersionId=first)["Retention"]["Mode"] == "GOVERNANCE"
        # reading it changed nothing: the body is still the object's
        assert s3.get_object(Bucket="locked", Key="k")["Body"].read() == b"2"


def test_without_object_lock_or_without_the_object_it_is_s3s_error() -> None:
    with mock_forge():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="plain")
        s3.put_object(Bucket="plain", Key="k", Body=b"x")
        s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
        assert _error(lambda: s3.get_object_retention(Bucket="plain", Key="k")) == ("InvalidRequest", 400)
        assert _error(lambda: s3.get_object_retention(Bucket="locked", Key="absent")) == ("NoSuchKey", 404)
        assert _error(lambda: s3.get_object_retention(Bucket="missing-bucket", Key="k"))[1] == 404
