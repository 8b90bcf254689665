"""A bucket policy's Deny refuses signed requests on its objects too, without credentials
configured, as moto refuses them (``S3App._moto_access``): the operations S3App serves
itself (PutObject, GetObject, DeleteObject) as well as moto's own."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from moto_forge.mock import mock_forge

DENIED = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]


def _statuses(mock: Callable[[], Any]) -> list[int]:
    with mock():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="guarded")
        s3.put_object(Bucket="guarded", Key="k", Body=b"x")
        s3.put_object(Bucket="guarded", Key="open/k", Body=b"o")
        statement = {"Effect": "Deny", "Principal": "*", "Action": DENIED, "Resource": "arn:aws:s3:::guarded/k*"}
        s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
        calls: list[Callable[[], Any]] = [
            lambda: s3.put_object(Bucket="guarded", Key="k2", Body=b"y"),
            lambda: s3.get_object(Bucket="guarded", Key="k"),
            lambda: s3.head_object(Bucket="guarded", Key="k"),  # moto's action: s3:HeadObject, not denied
            lambda: s3.delete_object(Bucket="guarded", Key="k"),
            lambda: s3.put_object_tagging(Bucket="guarded", Key="k", Tagging={"TagSet": []}),
            lambda: s3.get_object(Bucket="guarded", Key="open/k"),  # outside the statement's keys
            lambda: s3.delete_object(Bucket="guarded", Key="open/k"),
        ]
        statuses = []
        for call in calls:
            try:
                statuses.append(call()["ResponseMetadata"]["HTTPStatusCode"])
            except ClientError as exc:
                statuses.append(exc.response["ResponseMetadata"]["HTTPStatusCode"])
        s3.delete_bucket_policy(Bucket="guarded")
        statuses.append(len(s3.get_object(Bucket="guarded", Key="k")["Body"].read()))  # still there
        return statuses


@pytest.mark.parametrize("mock", [mock_forge, mock_aws], ids=["moto_forge", "moto"])
def test_a_policy_deny_refuses_signed_object_requests(mock: Callable[[], Any]) -> None:
    assert _statuses(mock) == [403, 403, 200, 403, 403, 200, 204, 1]
