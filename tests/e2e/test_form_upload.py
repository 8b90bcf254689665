"""Browser uploads (presigned POST): boto3's generate_presigned_post, posted as a browser
posts a form, against a server that checks signatures."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from tests.e2e.conftest import SECURED_ACCESS, SECURED_SECRET, Served


def signer(url: str, version: str = "s3v4") -> Any:
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=SECURED_ACCESS,
                        aws_secret_access_key=SECURED_SECRET, config=Config(signature_version=version))  # fmt: skip


@pytest.fixture
def bucket(secured: Served) -> str:
    name = f"form-{uuid.uuid4().hex[:12]}"
    signer(secured.url).create_bucket(Bucket=name)
    return name


def post(form: dict[str, Any], body: bytes, **extra: str) -> requests.Response:
    fields = {**form["fields"], **extra}
    return requests.post(form["url"], data=fields, files={"file": ("hello.txt", body)}, allow_redirects=False,
                         timeout=30)  # fmt: skip


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_a_presigned_post_stores_the_file_with_its_fields(secured: Served, bucket: str, version: str) -> None:
    s3 = signer(secured.url, version)
    form = s3.generate_presigned_post(
        bucket, "uploads/${filename}",
        Fields={"Content-Type": "text/plain", "x-amz-meta-from": "browser", "success_action_status": "201"},
        Conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "text/plain"},
                    {"x-amz-meta-from": "browser"}, {"success_action_status": "201"},
                    ["content-length-range", 1, 1000]],
        ExpiresIn=300,
    )  # fmt: skip
    answer = post(form, b"hello from a form")
    assert answer.status_code == 201, answer.text
    assert "<Key>uploads/hello.txt</Key>" in answer.text
    got = signer(secured.url).get_object(Bucket=bucket, Key="uploads/hello.txt")  # SigV2 headers: not supported
    assert got["Body"].read() == b"hello from a form"
    assert (got["ContentType"], got["Metadata"]) == ("text/plain", {"from": "browser"})


def test_a_form_is_refused_when_its_policy_or_signature_does_not_hold(secured: Served, bucket: str) -> None:
    s3 = signer(secured.url)
    form = s3.generate_presigned_post(bucket, "exact-key", Conditions=[["content-length-range", 1, 10]])
    assert post(form, b"x" * 11).status_code == 400  # EntityTooLarge
    assert "EntityTooLarge" in post(form, b"x" * 11).text
    other_key = post(form, b"ok", key="another-key")
    assert other_key.status_code == 403 and "Policy Condition failed" in other_key.text
    extra = post(form, b"ok", **{"x-amz-meta-sneaky": "1"})
    assert extra.status_code == 403 and "Extra input fields" in extra.text
    forged = dict(form, fields={**form["fields"], "x-amz-signature": "0" * 64})
    assert post(forged, b"ok").status_code == 403
    unsigned = {"url": form["url"], "fields": {"key": "exact-key"}}
    assert post(unsigned, b"ok").status_code == 403
    expired = s3.generate_presigned_post(bucket, "late", ExpiresIn=-10)
    assert "Policy expired" in post(expired, b"ok").text
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0  # nothing refused was stored
    redirect = s3.generate_presigned_post(bucket, "kept", Fields={"success_action_redirect": "http://app.test/done"},
                                          Conditions=[{"success_action_redirect": "http://app.test/done"}])  # fmt: skip
    answer = post(redirect, b"body")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("http://app.test/done?bucket=")
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"body"
