"""SigV4 against a server started with credentials: good signatures pass; bad or
expired ones, unknown keys and unsigned requests get S3's 403 errors; and a
refused write changes nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import SECURED_ACCESS, SECURED_SECRET, Served, start_server

ACCESS, SECRET = SECURED_ACCESS, SECURED_SECRET


def client(url: str, access: str = ACCESS, secret: str = SECRET, **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, **config),
    )


def code(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_signed_requests_work_and_bad_ones_are_refused(secured: Served) -> None:
    s3 = client(secured.url)
    s3.create_bucket(Bucket="locked")
    put = s3.put_object(Bucket="locked", Key="k", Body=b"secret data")
    root = put["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"]
    assert s3.get_object(Bucket="locked", Key="k")["Body"].read() == b"secret data"

    with pytest.raises(ClientError) as info:
        client(secured.url, secret="wrong").put_object(Bucket="locked", Key="k", Body=b"overwrite")
    assert code(info.value) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(ClientError) as info:
        client(secured.url, access="AKIDUNKNOWN").get_object(Bucket="locked", Key="k")
    assert code(info.value) == ("InvalidAccessKeyId", 403)
    unsigned = requests.put(f"{secured.url}/locked/k", data=b"anonymous overwrite", timeout=30)
    assert unsigned.status_code == 403 and b"<Code>AccessDenied</Code>" in unsigned.content
    v2 = requests.get(f"{secured.url}/locked/k", headers={"Authorization": f"AWS {ACCESS}:abc"}, timeout=30)
    assert v2.status_code == 403
    head = s3.head_object(Bucket="locked", Key="k")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"] == root  # nothing refused was written


def test_tampered_body_is_refused(secured: Served) -> None:
    s3 = client(secured.url)
    s3.create_bucket(Bucket="tamper")

    def swap_body(request: Any, **kwargs: Any) -> None:
        request.body = b"tampered after signing"

    s3.meta.events.register_first("before-send.s3.PutObject", swap_body)
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket="tamper", Key="k", Body=b"original bytes here!!!")
    assert code(info.value)[1] in (400, 403)
    assert "Contents" not in client(secured.url).list_objects_v2(Bucket="tamper")


def test_presigned_urls_and_expiry(secured: Served) -> None:
    s3 = client(secured.url, signature_version="s3v4")
    s3.create_bucket(Bucket="shared")
    s3.put_object(Bucket="shared", Key="doc.txt", Body=b"presigned content")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "doc.txt"}, ExpiresIn=60)
    assert requests.get(url, timeout=30).content == b"presigned content"
    assert requests.get(url.replace("doc.txt", "other.txt"), timeout=30).status_code == 403
    upload = s3.generate_presigned_url("put_object", Params={"Bucket": "shared", "Key": "up.txt"}, ExpiresIn=60)
    assert requests.put(upload, data=b"uploaded via presigned PUT", timeout=30).status_code == 200
    assert s3.get_object(Bucket="shared", Key="up.txt")["Body"].read() == b"uploaded via presigned PUT"
    short = s3.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "doc.txt"}, ExpiresIn=1)
    time.sleep(2.1)
    expired = requests.get(short, timeout=30)
    assert expired.status_code == 403 and b"<Code>AccessDenied</Code>" in expired.content
    assert b"expired" in expired.content


def test_server_without_credentials_accepts_anything(tmp_path: Path) -> None:
    server = start_server(str(tmp_path))
    try:
        anyone = client(server.url, access="whatever", secret="whatever")
        anyone.create_bucket(Bucket="open")
        assert requests.put(f"{server.url}/open/k", data=b"unsigned", timeout=30).status_code == 200
    finally:
        server.stop()


def test_boto3_default_presigned_urls_sigv2(secured: Served) -> None:
    """boto3's generate_presigned_url signs with SigV2 by default (AWSAccessKeyId/Expires/Signature)."""
    s3 = client(secured.url)
    s3.create_bucket(Bucket="sigv2")
    s3.put_object(Bucket="sigv2", Key="doc v2.txt", Body=b"sigv2 content")
    params = {"Bucket": "sigv2", "Key": "doc v2.txt"}
    url = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    assert "AWSAccessKeyId=" in url and "Signature=" in url
    assert requests.get(url, timeout=30).content == b"sigv2 content"
    assert requests.get(url.replace("doc%20v2.txt", "other.txt"), timeout=30).status_code == 403
    typed = s3.generate_presigned_url(
        "get_object", Params={**params, "ResponseContentType": "text/plain"}, ExpiresIn=60
    )
    reply = requests.get(typed, timeout=30)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "text/plain"
    upload = s3.generate_presigned_url("put_object", Params={"Bucket": "sigv2", "Key": "up.txt"}, ExpiresIn=60)
    assert requests.put(upload, data=b"put via sigv2", timeout=30).status_code == 200
    assert s3.get_object(Bucket="sigv2", Key="up.txt")["Body"].read() == b"put via sigv2"
    expired = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=-5)
    answer = requests.get(expired, timeout=30)
    assert answer.status_code == 403 and b"AccessDenied" in answer.content
    forged = url.replace("Signature=", "Signature=A")
    assert requests.get(forged, timeout=30).status_code == 403


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_a_presigned_put_acts_with_exactly_what_was_signed(secured: Served, signature_version: str) -> None:
    """A presigned PUT's signed Content-Type must be sent as that header (else 403, nothing
    stored), and its signed metadata, which the SigV2 signer moves into the query, is stored."""
    s3 = client(secured.url)
    bucket = f"signedput-{signature_version}"
    s3.create_bucket(Bucket=bucket)
    signer = client(secured.url, signature_version=signature_version) if signature_version == "s3v4" else s3
    params = {"Bucket": bucket, "Key": "k.txt", "ContentType": "app/sth", "Metadata": {"venue": "123"}}
    url = signer.generate_presigned_url("put_object", Params=params, ExpiresIn=60)
    for headers in ({}, {"Content-Type": "text/evil"}):
        answer = requests.put(url, data=b"refused", headers=headers, timeout=30)
        assert answer.status_code == 403 and (
            b"SignatureDoesNotMatch" in answer.content or b"AccessDenied" in answer.content
        )
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k.txt")
    sent = {"Content-Type": "app/sth"}
    if signature_version == "s3v4":  # SigV4 signs the metadata header itself
        sent["x-amz-meta-venue"] = "123"
    assert requests.put(url, data=b"stored", headers=sent, timeout=30).status_code == 200
    head = s3.head_object(Bucket=bucket, Key="k.txt")
    assert head["ContentType"] == "app/sth" and head["Metadata"] == {"venue": "123"}
    if signature_version == "s3":  # a header cannot change a value the URL signed
        clash = requests.put(url, data=b"x", headers={**sent, "x-amz-meta-venue": "999"}, timeout=30)
        assert clash.status_code == 403
        assert s3.head_object(Bucket=bucket, Key="k.txt")["Metadata"] == {"venue": "123"}


def test_a_large_upload_with_a_bad_signature_gets_the_error_not_a_reset(secured: Served) -> None:
    """A 24 MB body refused before it is read: boto3 (``Expect: 100-continue``) and a client
    that just sends it (requests) both read S3's error, not a connection reset, and a
    correctly signed upload of the same body works afterwards."""
    s3 = client(secured.url)
    s3.create_bucket(Bucket="bigdeny")
    body = b"b" * (24 << 20)
    with pytest.raises(ClientError) as info:
        client(secured.url, secret="wrong").put_object(Bucket="bigdeny", Key="k", Body=body)
    assert code(info.value) == ("SignatureDoesNotMatch", 403)
    unsigned = requests.put(f"{secured.url}/bigdeny/k", data=body, timeout=60)
    assert unsigned.status_code == 403 and b"<Code>AccessDenied</Code>" in unsigned.content
    assert s3.list_objects_v2(Bucket="bigdeny").get("KeyCount") == 0
    s3.put_object(Bucket="bigdeny", Key="k", Body=body)
    assert s3.head_object(Bucket="bigdeny", Key="k")["ContentLength"] == len(body)


def test_signed_metadata_with_underscores_is_verified_and_kept(secured: Served) -> None:
    """boto3 signs every x-amz-meta-* header: one named with ``_`` must reach the signature
    check (werkzeug drops such headers) and be stored."""
    s3 = client(secured.url)
    s3.create_bucket(Bucket="signed-meta")
    s3.put_object(Bucket="signed-meta", Key="k", Body=b"v", Metadata={"signed_name": "kept"})
    assert s3.head_object(Bucket="signed-meta", Key="k")["Metadata"] == {"signed_name": "kept"}
