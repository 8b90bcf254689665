"""Bucket configuration as moto applies it, persisted in the bucket's configuration document.

moto's handlers parse every bucket-configuration request (CORS, policy, lifecycle, ...)
and call one backend method per change (``put_bucket_cors(bucket, rules)``,
``delete_bucket_cors(bucket)``, ...), which validates it and sets it on the bucket's
``FakeBucket``.  The Forge backend lets moto's method do exactly that, then records the
*call* under the configuration's name in the bucket's configuration document
(:mod:`moto_forge.bucket.root`): ``{"call": <method>, "args": [<arguments as plain
data>]}``, after the method ran (moto completes some arguments in place: replication rule
ids).  A delete removes the name.  A bucket's ``FakeBucket`` is rebuilt from the document
by replaying each recorded call (:func:`replay`), in :data:`REPLAY_ORDER`; so what GET
answers is what moto answers, and it survives restarts, snapshots and export / import.

Only the methods of :data:`CONFIG_CALLS` are ever replayed (a stored document names
them, never code), with their arguments as plain data: maps, lists, strings, bytes,
integers, booleans and null; moto's ACL objects as tagged maps (:func:`to_plain`).
Inventory configurations, several per bucket, are one map ``{<Id>: <call>}``.
``region`` is the bucket's region (a string), set when it is created; ``namespace`` likewise
(``account-regional`` or absent): both are read by :class:`~moto_forge.s3.holders.BucketHolders`, never replayed.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

from moto.s3.models import FakeAcl, FakeBucket, FakeGrant, FakeGrantee, NotificationConfiguration, S3Backend

from moto_forge.bucket.root import Config

log = logging.getLogger("moto_forge.s3")

CONFIG_CALLS: dict[str, tuple[str, bool]] = {
    "put_bucket_versioning": ("versioning", False),
    "put_object_lock_configuration": ("object_lock", False),
    "put_bucket_acl": ("acl", False),
    "put_bucket_policy": ("policy", False),
    "delete_bucket_policy": ("policy", True),
    "put_bucket_encryption": ("encryption", False),
    "delete_bucket_encryption": ("encryption", True),
    "put_bucket_ownership_controls": ("ownership", False),
    "delete_bucket_ownership_controls": ("ownership", True),
    "put_bucket_replication": ("replication", False),
    "delete_bucket_replication": ("replication", True),
    "put_bucket_lifecycle": ("lifecycle", False),
    "put_bucket_lifecycle_configuration": ("lifecycle", False),
    "delete_bucket_lifecycle": ("lifecycle", True),
    "put_bucket_website": ("website", False),
    "delete_bucket_website": ("website", True),
    "put_bucket_tagging": ("tagging", False),
    "delete_bucket_tagging": ("tagging", True),
    "put_bucket_cors": ("cors", False),
    "delete_bucket_cors": ("cors", True),
    "put_bucket_logging": ("logging", False),
    "put_bucket_notification_configuration": ("notification", False),
    "put_bucket_accelerate_configuration": ("accelerate", False),
    "put_public_access_block": ("public_access_block", False),
    "delete_public_access_block": ("public_access_block", True),
    "put_bucket_inventory_configuration": ("inventory", False),
}
"""moto backend method -> (configuration name, whether it deletes that configuration)."""

REPLAY_ORDER = (
    "versioning", "object_lock", "acl", "policy", "encryption", "ownership", "replication", "lifecycle",
    "website", "tagging", "cors", "logging", "notification", "accelerate", "public_access_block", "inventory",
)  # fmt: skip
"""Versioning before Object Lock (moto requires a versioned bucket for it)."""

DEFAULT_REGION = "us-east-1"


def region_of(config: Mapping[str, Any]) -> str:
    region = config.get("region")
    return region if isinstance(region, str) and region else DEFAULT_REGION


def call_entry(method: str, bucket_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The document entry for moto's call ``method(bucket_name, *args, **kwargs)``: its
    arguments in signature order, as plain data."""
    bound = inspect.signature(getattr(S3Backend, method)).bind(None, bucket_name, *args, **kwargs)
    values = list(bound.arguments.values())[2:]  # without self and the bucket name
    return {"call": method, "args": [to_plain(value) for value in values]}


def updated(config: Config, method: str, entry: dict[str, Any] | None) -> Config:
    """``config`` (a copy the caller owns) after moto's call ``method`` recorded as ``entry``
    (``None``: the call leaves that configuration unset)."""
    name, delete = CONFIG_CALLS[method]
    if delete or entry is None:
        config.pop(name, None)
    elif name == "inventory":
        inventories = dict(config.get("inventory") or {})
        inventories[str(entry["args"][0]["Id"])] = entry
        config["inventory"] = inventories
    else:
        config[name] = entry
    return config


def replay(holder: FakeBucket, config: Mapping[str, Any], apply: Callable[..., Any]) -> None:
    """Set ``holder`` (a fresh ``FakeBucket``) to the configuration ``config`` records, by
    calling ``apply(method, bucket_name, *args)`` for each recorded call (the backend runs
    moto's method with ``holder`` as the bucket).  A call moto refuses now (the logging
    target bucket is gone, say) is skipped with a warning; the document keeps it."""
    for name in REPLAY_ORDER:
        entry = config.get(name)
        if entry is None:
            continue
        calls = list(entry.values()) if name == "inventory" else [entry]
        for call in calls:
            method = call.get("call") if isinstance(call, dict) else None
            if method not in CONFIG_CALLS or CONFIG_CALLS[method][1]:
                log.warning("bucket %s: configuration %r names no known call: %r", holder.name, name, method)
                continue
            args = [from_plain(value) for value in call.get("args") or []]
            try:
                setter = REPLAY_SETTERS.get(method)
                if setter is not None:
                    setter(holder, *args)
                else:
                    apply(method, holder.name, *args)
            except Exception:
                log.warning("bucket %s: configuration %r not applied", holder.name, name, exc_info=True)


def state_entry(method: str, holder: FakeBucket, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The entry to record for ``method`` once moto applied it to ``holder``: ``entry`` (the
    call), except where moto's setter depends on the state before it, which is recorded
    instead (``None``: nothing to record): acceleration (``Suspended`` on a bucket never
    accelerated leaves it unset) and Object Lock (a configuration without
    ``ObjectLockEnabled`` keeps the bucket's)."""
    if method == "put_bucket_accelerate_configuration":
        state = holder.accelerate_configuration
        return None if state is None else {"call": method, "args": [state]}
    if method == "put_object_lock_configuration":
        lock = [
            holder.object_lock_enabled,
            holder.default_lock_mode,
            holder.default_lock_days,
            holder.default_lock_years,
        ]
        return {"call": method, "args": lock}
    return entry


def _set_notification(holder: FakeBucket, config: dict[str, Any] | None) -> None:
    """Replay a notification configuration as moto's setter sets it, without the test event
    moto sends when a client sets one (it was sent then)."""
    holder.notification_configuration = (
        NotificationConfiguration(
            topic=config.get("TopicConfiguration"),
            queue=config.get("QueueConfiguration"),
            cloud_function=config.get("CloudFunctionConfiguration"),
            event_bridge=config.get("EventBridgeConfiguration"),
        )
        if config
        else None
    )


def _set_logging(holder: FakeBucket, config: dict[str, Any] | None) -> None:
    """Replay a logging configuration without checking its target again (it was checked when
    set; S3 keeps it if the target bucket goes)."""
    holder.logging = dict(config or {})


def _set_accelerate(holder: FakeBucket, state: str) -> None:
    """Replay the acceleration state itself (moto's setter ignores ``Suspended`` on a fresh bucket)."""
    holder.accelerate_configuration = state


REPLAY_SETTERS: dict[str, Callable[..., None]] = {
    "put_bucket_accelerate_configuration": _set_accelerate,
    "put_bucket_notification_configuration": _set_notification,
    "put_bucket_logging": _set_logging,
}
"""Calls replayed by setting the holder's state directly: moto's method would act again
(send a test event), check other buckets again, or depend on the state before it."""


def to_plain(value: Any) -> Any:
    """``value`` (what moto's parsers pass its backend) as DAG-CBOR data; moto's ACL objects
    as tagged maps (``{"$acl": [<grant>...]}``, ``{"$grant": {"grantees", "permissions"}}``)."""
    if isinstance(value, FakeAcl):
        return {"$acl": [to_plain(grant) for grant in value.grants]}
    if isinstance(value, FakeGrant):
        grantees = [{"id": g.id, "uri": g.uri, "display_name": g.display_name} for g in value.grantees]
        return {"$grant": {"grantees": grantees, "permissions": to_plain(value.permissions)}}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if value is None or isinstance(value, str | bytes | bool | int | float):
        return value
    raise TypeError(f"cannot persist a {type(value).__name__} of bucket configuration")


def from_plain(value: Any) -> Any:
    """The inverse of :func:`to_plain`."""
    if isinstance(value, dict):
        if set(value) == {"$acl"}:
            return FakeAcl([from_plain(grant) for grant in value["$acl"]])
        if set(value) == {"$grant"}:
            grant = value["$grant"]
            grantees = [FakeGrantee(g["id"], g["uri"], g["display_name"]) for g in grant["grantees"]]
            return FakeGrant(grantees, grant["permissions"])
        return {k: from_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    return value
