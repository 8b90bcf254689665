"""Unsigned requests without credentials, as moto decides them (moto_forge/s3/anonymous.py)."""

from __future__ import annotations

import json

from moto.s3.models import FakeBucket, s3_backends

from moto_forge.s3.anonymous import denied, is_anonymous


def bucket(policy: bytes | None) -> FakeBucket:
    before = dict(s3_backends.bucket_accounts)
    made = FakeBucket(name="anon-bucket", account_id="123456789012", region_name="us-east-1")  # type: ignore[abstract]
    s3_backends.bucket_accounts.clear()
    s3_backends.bucket_accounts.update(before)  # a holder must not be found in moto's bucket map
    made.policy = policy
    return made


def test_anonymous_means_no_authorization_and_no_query_signature() -> None:
    assert is_anonymous(None, "")
    assert not is_anonymous("AWS4-HMAC-SHA256 Credential=...", "")
    assert not is_anonymous(None, "X-Amz-Signature=abc")


def test_a_deny_policy_refuses_and_an_unparsable_one_is_ignored() -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                                                    "Resource": "arn:aws:s3:::anon-bucket/*"}]}  # fmt: skip
    assert denied(bucket(json.dumps(deny).encode()), "anon-bucket", "k", None, "GET")
    assert not denied(bucket(json.dumps(deny).encode()), "anon-bucket", "k", None, "PUT")
    # a policy stored before policies were checked must not turn every read into a 500
    assert not denied(bucket(b"not json"), "anon-bucket", "k", None, "GET")
