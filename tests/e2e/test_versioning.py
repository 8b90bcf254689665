"""Versioning through a real server and boto3, across a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import client, start_server


def test_versions_delete_markers_and_suspension_survive_a_restart(tmp_path: Path) -> None:
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        s3.create_bucket(Bucket="ver")
        s3.put_object(Bucket="ver", Key="k", Body=b"before versioning")
        s3.put_bucket_versioning(Bucket="ver", VersioningConfiguration={"Status": "Enabled"})
        one = s3.put_object(Bucket="ver", Key="k", Body=b"one")["VersionId"]
        two = s3.put_object(Bucket="ver", Key="k", Body=b"two")["VersionId"]
        marker = s3.delete_object(Bucket="ver", Key="k")
        assert marker["DeleteMarker"] and marker["VersionId"] not in (one, two)
    finally:
        served.stop()

    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        assert s3.get_bucket_versioning(Bucket="ver")["Status"] == "Enabled"
        with pytest.raises(ClientError) as missing:
            s3.get_object(Bucket="ver", Key="k")
        headers = missing.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert missing.value.response["Error"]["Code"] == "NoSuchKey" and headers["x-amz-delete-marker"] == "true"
        got = s3.get_object(Bucket="ver", Key="k", VersionId=one)
        assert got["Body"].read() == b"one" and got["VersionId"] == one
        assert s3.get_object(Bucket="ver", Key="k", VersionId="null")["Body"].read() == b"before versioning"
        listed = s3.list_object_versions(Bucket="ver")
        assert [v["VersionId"] for v in listed["Versions"]] == [two, one, "null"]
        assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker["VersionId"], True)]
        with pytest.raises(ClientError) as on_marker:
            s3.head_object(Bucket="ver", Key="k", VersionId=marker["VersionId"])
        assert on_marker.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
        assert on_marker.value.response["ResponseMetadata"]["HTTPHeaders"]["allow"] == "DELETE"

        s3.copy_object(Bucket="ver", Key="copy", CopySource={"Bucket": "ver", "Key": "k", "VersionId": one})
        assert s3.get_object(Bucket="ver", Key="copy")["Body"].read() == b"one"
        s3.delete_object(Bucket="ver", Key="k", VersionId=marker["VersionId"])
        assert s3.get_object(Bucket="ver", Key="k")["Body"].read() == b"two"

        s3.put_bucket_versioning(Bucket="ver", VersioningConfiguration={"Status": "Suspended"})
        assert s3.put_object(Bucket="ver", Key="k", Body=b"suspended").get("VersionId", "null") == "null"
        versions = [v["VersionId"] for v in s3.list_object_versions(Bucket="ver", Prefix="k")["Versions"]]
        assert versions == ["null", two, one]  # the new null version replaced the old one

        everything = s3.list_object_versions(Bucket="ver")
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in everything["Versions"]]
        doomed += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in everything.get("DeleteMarkers", [])]
        s3.delete_objects(Bucket="ver", Delete={"Objects": doomed})
        s3.delete_bucket(Bucket="ver")  # every version gone: the bucket is empty
    finally:
        served.stop()


def test_mfa_delete_is_refused_clearly(tmp_path: Path) -> None:
    served = start_server(str(tmp_path))
    try:
        s3 = client(served.url)
        s3.create_bucket(Bucket="mfa")
        with pytest.raises(ClientError) as refused:
            s3.put_bucket_versioning(Bucket="mfa", MFA="arn:aws:iam::123456789012:mfa/dev 123456",
                                     VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})  # fmt: skip
        assert refused.value.response["Error"]["Code"] == "NotImplemented"
        assert "MFA" in refused.value.response["Error"]["Message"]
        assert s3.get_bucket_versioning(Bucket="mfa").get("Status") is None  # nothing changed
    finally:
        served.stop()
