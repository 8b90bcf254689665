"""A request moto cannot parse is a 400 and one warning line in the server log: its
traceback only at debug level, so a client sending many cannot flood the log with them."""

from __future__ import annotations

import logging

import boto3
import pytest
from botocore.exceptions import ClientError

from moto_forge import mock_forge


def test_a_malformed_request_logs_one_line_and_its_traceback_only_at_debug(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_forge():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="malformed-log")
        s3.put_object(Bucket="malformed-log", Key="k", Body=b"x")
        caplog.set_level(logging.DEBUG, logger="moto_forge.s3")
        with pytest.raises(ClientError) as refused:
            # moto reads the first rule without looking: an empty rule list is a KeyError in it
            s3.put_bucket_ownership_controls(Bucket="malformed-log", OwnershipControls={"Rules": []})
        assert refused.value.response["Error"]["Code"] == "InvalidRequest"
        assert s3.get_object(Bucket="malformed-log", Key="k")["Body"].read() == b"x"
    said = [r for r in caplog.records if "malformed request" in r.getMessage()]
    warnings = [r for r in said if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert "KeyError" in warnings[0].getMessage() and "Rule" in warnings[0].getMessage()
    assert [r.exc_info is not None for r in said if r.levelno == logging.DEBUG] == [True]
