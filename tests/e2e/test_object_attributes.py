"""Object attributes (storage class, encryption, redirect, ACL, Object Lock, restore) kept in
the manifest: set by real clients, enforced, and still there after a restart."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import client, start_server

LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def write_everything(s3: Any) -> str:
    """Objects with every kind of attribute; returns the locked version's id."""
    s3.create_bucket(Bucket="attrs")
    s3.put_object(Bucket="attrs", Key="cold", Body=b"frozen", StorageClass="GLACIER")
    s3.put_object(Bucket="attrs", Key="ia", Body=b"rare", StorageClass="STANDARD_IA", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId="key-1", WebsiteRedirectLocation="/elsewhere", ACL="public-read")  # fmt: skip
    upload = s3.create_multipart_upload(Bucket="attrs", Key="big", ServerSideEncryption="AES256")["UploadId"]
    etag = s3.upload_part(Bucket="attrs", Key="big", UploadId=upload, PartNumber=1, Body=b"x" * 100)["ETag"]
    s3.complete_multipart_upload(Bucket="attrs", Key="big", UploadId=upload,
                                 MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})  # fmt: skip
    s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    put = s3.put_object(Bucket="locked", Key="held", Body=b"keep", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=until)  # fmt: skip
    s3.put_object_legal_hold(Bucket="locked", Key="held", VersionId=put["VersionId"], LegalHold={"Status": "ON"})
    return str(put["VersionId"])


def test_attributes_are_kept_enforced_and_survive_a_restart(tmp_path: Path) -> None:
    served = start_server(str(tmp_path))
    try:
        locked_version = write_everything(client(served.url))
    finally:
        served.stop()

    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        ia = s3.head_object(Bucket="attrs", Key="ia")
        assert (ia["StorageClass"], ia["ServerSideEncryption"], ia["SSEKMSKeyId"]) == (
            "STANDARD_IA",
            "aws:kms",
            "key-1",
        )
        assert ia["WebsiteRedirectLocation"] == "/elsewhere"
        grants = s3.get_object_acl(Bucket="attrs", Key="ia")["Grants"]
        assert any(g["Grantee"].get("URI", "").endswith("AllUsers") and g["Permission"] == "READ" for g in grants)
        assert s3.head_object(Bucket="attrs", Key="big")["ServerSideEncryption"] == "AES256"
        listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket="attrs")["Contents"]}
        assert listed["cold"] == "GLACIER" and listed["ia"] == "STANDARD_IA"

        with pytest.raises(ClientError) as frozen:
            s3.get_object(Bucket="attrs", Key="cold")
        assert code(frozen) == "InvalidObjectState"
        s3.restore_object(Bucket="attrs", Key="cold", RestoreRequest={"Days": 1})
        assert s3.get_object(Bucket="attrs", Key="cold")["Body"].read() == b"frozen"
        assert 'ongoing-request="false"' in s3.head_object(Bucket="attrs", Key="cold")["Restore"]

        held = s3.head_object(Bucket="locked", Key="held", VersionId=locked_version)
        assert held["ObjectLockMode"] == "GOVERNANCE" and held["ObjectLockLegalHoldStatus"] == "ON"
        with pytest.raises(ClientError) as denied:
            s3.delete_object(Bucket="locked", Key="held", VersionId=locked_version, BypassGovernanceRetention=True)
        assert code(denied) == "AccessDenied"  # the legal hold holds even with the bypass
        s3.put_object_legal_hold(Bucket="locked", Key="held", VersionId=locked_version, LegalHold={"Status": "OFF"})
        with pytest.raises(ClientError) as retained:
            s3.delete_object(Bucket="locked", Key="held", VersionId=locked_version)
        assert code(retained) == "AccessDenied"  # governance retention without the bypass
        s3.delete_object(Bucket="locked", Key="held", VersionId=locked_version, BypassGovernanceRetention=True)
        assert s3.list_object_versions(Bucket="locked").get("Versions") is None

        with pytest.raises(ClientError) as bad:
            s3.put_object(Bucket="attrs", Key="x", Body=b"", StorageClass="COLD_AS_ICE")
        assert code(bad) == "InvalidStorageClass"
        with pytest.raises(ClientError) as unlocked:
            s3.put_object(Bucket="attrs", Key="x", Body=b"", ObjectLockMode="GOVERNANCE",
                          ObjectLockRetainUntilDate=datetime.datetime(2099, 1, 1))  # fmt: skip
        assert code(unlocked) == "InvalidRequest"  # that bucket has no Object Lock
        s3.copy_object(Bucket="attrs", Key="ia-copy", CopySource={"Bucket": "attrs", "Key": "ia"},
                       StorageClass="ONEZONE_IA")  # fmt: skip
        copied = s3.head_object(Bucket="attrs", Key="ia-copy")
        # no SSE headers on the copy: not the source's KMS key, but S3's default encryption
        assert copied["StorageClass"] == "ONEZONE_IA" and copied["ServerSideEncryption"] == "AES256"
        assert "SSEKMSKeyId" not in copied
    finally:
        served.stop()


def test_a_bucket_default_encryption_applies_to_new_objects(tmp_path: Path) -> None:
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        s3.create_bucket(Bucket="enc")
        default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "default-key"}
        rules = {"Rules": [{"ApplyServerSideEncryptionByDefault": default}]}
        s3.put_bucket_encryption(Bucket="enc", ServerSideEncryptionConfiguration=rules)  # type: ignore[arg-type]
        put = s3.put_object(Bucket="enc", Key="k", Body=b"v")
        assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", "default-key")
        assert s3.head_object(Bucket="enc", Key="k")["SSEKMSKeyId"] == "default-key"
    finally:
        served.stop()
