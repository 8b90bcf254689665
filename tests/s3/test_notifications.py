"""S3 event notifications from the Forge backend, as moto sends them: a bucket configured
to notify an SQS queue gets one message per write S3App or moto's handlers made (put,
copy, tagging, multipart completion, delete), under ``mock_forge``."""

from __future__ import annotations

import json
from typing import Any

import boto3

from moto_forge.mock import mock_forge


def _events(sqs: Any, queue_url: str) -> list[str]:
    names: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return names
        for message in messages:
            body = json.loads(message["Body"])
            names += [record["eventName"] for record in body.get("Records", [])]
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_every_kind_of_write_notifies_the_configured_queue() -> None:
    with mock_forge():
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.create_bucket(Bucket="notified")
        s3.put_bucket_notification_configuration(
            Bucket="notified",
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": queue_arn,
                        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*"],
                    }
                ]
            },
        )
        _events(sqs, queue_url)  # the configuration's own test event
        put = s3.put_object(Bucket="notified", Key="a", Body=b"one")
        assert "x-forge-root" in put["ResponseMetadata"]["HTTPHeaders"]  # S3App's streaming path
        s3.copy_object(Bucket="notified", Key="b", CopySource="notified/a")
        s3.put_object_tagging(Bucket="notified", Key="b", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
        upload = s3.create_multipart_upload(Bucket="notified", Key="c")["UploadId"]
        part = s3.upload_part(Bucket="notified", Key="c", UploadId=upload, PartNumber=1, Body=b"p")
        s3.complete_multipart_upload(Bucket="notified", Key="c", UploadId=upload,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})  # fmt: skip
        s3.delete_object(Bucket="notified", Key="a")
        s3.delete_objects(Bucket="notified", Delete={"Objects": [{"Key": "b"}, {"Key": "never-there"}]})
        assert _events(sqs, queue_url) == [
            "ObjectCreated:Put", "ObjectTagging:Put", "ObjectCreated:Copy", "ObjectTagging:Put",
            "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete", "ObjectRemoved:Delete",
        ]  # fmt: skip


def test_a_bucket_without_notifications_sends_nothing() -> None:
    with mock_forge():
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="quiet")["QueueUrl"]
        s3.create_bucket(Bucket="quiet")
        s3.put_object(Bucket="quiet", Key="a", Body=b"one")
        s3.delete_object(Bucket="quiet", Key="a")
        assert _events(sqs, queue_url) == []
