"""Bucket configuration as recorded moto calls: plain data, replayed only through moto's
own configuration methods."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest
from moto.s3.models import ALL_USERS_GRANTEE, FakeAcl, FakeBucket, FakeGrant, FakeGrantee

from moto_forge.bucket.root import encode_config
from moto_forge.s3 import bucket_config


def test_moto_arguments_round_trip_as_plain_data() -> None:
    acl = FakeAcl([FakeGrant([ALL_USERS_GRANTEE], ["READ"]), FakeGrant([FakeGrantee(grantee_id="abc")], "WRITE")])
    rules = [OrderedDict([("AllowedMethod", ["GET"]), ("MaxAgeSeconds", "600")])]
    plain = [bucket_config.to_plain(v) for v in (acl, rules, b"{}", True, None)]
    encode_config({"acl": {"call": "put_bucket_acl", "args": plain}})  # it is DAG-CBOR data
    back = bucket_config.from_plain(plain[0])
    assert isinstance(back, FakeAcl) and back.public_read
    assert [(g.grantees, g.permissions) for g in back.grants] == [(g.grantees, g.permissions) for g in acl.grants]
    assert bucket_config.from_plain(plain[1]) == [{"AllowedMethod": ["GET"], "MaxAgeSeconds": "600"}]
    with pytest.raises(TypeError, match="cannot persist"):
        bucket_config.to_plain(object())


def test_a_call_is_recorded_with_its_arguments_in_signature_order() -> None:
    entry = bucket_config.call_entry("put_bucket_ownership_controls", "b", (), {"ownership": {"Rule": "x"}})
    assert entry == {"call": "put_bucket_ownership_controls", "args": [{"Rule": "x"}]}


def test_updates_replace_delete_and_keep_inventories_by_id() -> None:
    config: dict[str, Any] = {"cors": {"call": "put_bucket_cors", "args": [[]]}}
    config = bucket_config.updated(config, "delete_bucket_cors", {"call": "delete_bucket_cors", "args": []})
    assert config == {}
    for inventory in ("a", "b", "a"):
        entry = {"call": "put_bucket_inventory_configuration", "args": [{"Id": inventory, "v": len(config)}]}
        config = bucket_config.updated(config, "put_bucket_inventory_configuration", entry)
    assert sorted(config["inventory"]) == ["a", "b"]


def test_acceleration_is_recorded_as_the_state_moto_leaves() -> None:
    holder = FakeBucket("b", "123456789012", "us-east-1")  # type: ignore[abstract]
    method = "put_bucket_accelerate_configuration"
    call = {"call": method, "args": ["Suspended"]}
    assert bucket_config.state_entry(method, holder, call) is None  # never accelerated: stays unset
    holder.accelerate_configuration = "Suspended"
    assert bucket_config.state_entry(method, holder, call) == call


def test_replay_calls_only_known_configuration_methods_and_survives_a_refused_one() -> None:
    holder = FakeBucket("b", "123456789012", "us-east-1")  # type: ignore[abstract]
    applied: list[tuple[str, tuple[Any, ...]]] = []

    def apply(method: str, bucket: str, *args: Any) -> None:
        applied.append((method, args))
        if method == "put_bucket_policy":
            raise ValueError("refused now")

    config = {
        "versioning": {"call": "put_bucket_versioning", "args": ["Enabled"]},
        "policy": {"call": "put_bucket_policy", "args": [b"{}"]},
        "cors": {"call": "__init__", "args": []},
        "website": {"call": "delete_bucket_website", "args": []},
        "logging": {"call": "put_bucket_logging", "args": [{"TargetBucket": "logs"}]},
    }
    bucket_config.replay(holder, config, apply)
    assert applied == [("put_bucket_versioning", ("Enabled",)), ("put_bucket_policy", (b"{}",))]
    assert holder.logging == {"TargetBucket": "logs"}  # set directly: its target is not checked again
