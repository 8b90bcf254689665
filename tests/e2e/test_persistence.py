"""A local dev S3 that keeps its data: write, stop the server, start it again, read back."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.conftest import client, start_server


def test_data_survives_a_restart(tmp_path: Path) -> None:
    data_dir = str(tmp_path)
    first = start_server(data_dir)
    s3 = client(first.url)
    s3.create_bucket(Bucket="keep")
    blobs = {f"dir/{i}.bin": os.urandom(1000 * i + 1) for i in range(8)}
    for key, body in blobs.items():
        s3.put_object(Bucket="keep", Key=key, Body=body, Metadata={"i": key})
    s3.put_object_tagging(Bucket="keep", Key="dir/3.bin", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
    upload = s3.create_multipart_upload(Bucket="keep", Key="pending")["UploadId"]
    root_before = s3.head_object(Bucket="keep", Key="dir/0.bin")["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"]
    first.stop()

    second = start_server(data_dir)
    try:
        s3 = client(second.url)
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["keep"]
        listed = [o["Key"] for o in s3.list_objects_v2(Bucket="keep")["Contents"]]
        assert listed == sorted(blobs)
        for key, body in blobs.items():
            got = s3.get_object(Bucket="keep", Key=key)
            assert got["Body"].read() == body and got["Metadata"] == {"i": key}
        assert s3.get_object_tagging(Bucket="keep", Key="dir/3.bin")["TagSet"] == [{"Key": "t", "Value": "v"}]
        assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="keep")["Uploads"]] == [upload]
        head = s3.head_object(Bucket="keep", Key="dir/0.bin")
        assert head["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"] == root_before
    finally:
        second.stop()
