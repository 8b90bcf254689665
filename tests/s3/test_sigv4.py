"""SigV4 pieces that are pure functions: the request date and the derived key."""

import datetime

import pytest

from moto_forge.s3.sigv4 import amz_timestamp, signing_key


def test_amz_dates_are_read_exactly_as_strptime_reads_valid_ones() -> None:
    for text in ("20261206T231500Z", "20000229T000000Z", "19700101T000000Z", "20991231T235959Z"):
        expected = datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC).timestamp()
        assert amz_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    ["20260230T000000Z", "20261206T246000Z", "20261206T2315000", "20261206 231500Z", "2026-12-06T23:15:00Z",
     "\u0662\u0660\u0662\u06601206T231500Z", "+0261206T231500Z", ""],
)  # fmt: skip
def test_anything_else_is_no_date(text: str) -> None:
    assert amz_timestamp(text) is None


def test_the_signing_key_depends_on_every_part() -> None:
    base = signing_key("secret", "20261206", "us-east-1", "s3")
    assert base == signing_key("secret", "20261206", "us-east-1", "s3")
    variants = [("secreT", "20261206", "us-east-1", "s3"), ("secret", "20261207", "us-east-1", "s3"),
                ("secret", "20261206", "eu-west-1", "s3"), ("secret", "20261206", "us-east-1", "sqs")]  # fmt: skip
    others = {signing_key(*variant) for variant in variants}
    assert base not in others and len(others) == 4
