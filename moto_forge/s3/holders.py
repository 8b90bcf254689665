"""Buckets for moto: each stored bucket as the ``FakeBucket`` moto's code reads, its
configuration rebuilt from the bucket's configuration document and every configuration
change moto makes written back to it (:mod:`moto_forge.s3.bucket_config`).

A holder is a ``FakeBucket`` with no objects in it (objects are the bucket service's):
its name, region, creation date and configuration.  Holders are cached per bucket and
rebuilt when the bucket's configuration document (its CID) or creation time changes, so
a configuration written by another process, or restored from a snapshot, is what moto
sees next.  moto's code that reads ``backend.buckets`` directly (logging targets, AWS
Config, DynamoDB exports) sees the stored buckets through :class:`Holders`.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.exceptions import BucketAlreadyExists, MissingBucket
from moto.s3.models import FakeBucket, S3Backend, s3_backends

from moto_forge.bucket.root import Config
from moto_forge.bucket.service import BucketService
from moto_forge.errors import BucketAlreadyOwnedByYou, MalformedPolicy
from moto_forge.registry import BucketRecord
from moto_forge.s3 import bucket_config
from moto_forge.s3.context import request_headers
from moto_forge.s3.roots import response_root
from moto_forge.s3.tags import BUCKET_TAGS, check_tags
from moto_forge.s3.tenancy import principal


class Holders(Mapping[str, FakeBucket]):
    """``backend.buckets`` for moto's code: the buckets the account may use, by name."""

    def __init__(self, backend: BucketHolders) -> None:
        self._backend = backend

    def __getitem__(self, name: str) -> FakeBucket:
        try:
            return self._backend.get_bucket(name)
        except MissingBucket as exc:
            raise KeyError(name) from exc

    def __iter__(self) -> Iterator[str]:
        return iter([record.name for record in self._backend.visible_buckets()])

    def __len__(self) -> int:
        return len(self._backend.visible_buckets())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._backend.service.find_bucket(name) is not None

    def pop(self, name: str, default: Any = None) -> Any:
        """Forget the cached holder (moto pops a deleted bucket)."""
        self._backend.forget(name)
        return default

    def clear(self) -> None:
        self._backend.forget()


class BucketHolders(S3Backend):
    """moto's bucket operations over the bucket service (see the module docstring)."""

    def __init__(
        self,
        service: BucketService,
        region_name: str = bucket_config.DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        space: str | None = None,
    ) -> None:
        """The backend of moto account ``account_id``, whose new buckets go to ``space``
        (``None``: the server's own) unless an authenticated request names its own."""
        super().__init__(region_name, account_id)
        self.service = service
        self.space = space
        self._cache: dict[str, tuple[tuple[float, Any], FakeBucket]] = {}
        self._cache_lock = threading.Lock()
        self._pinned = threading.local()
        """Per thread: ``holders`` (name -> the holder ``get_bucket`` answers while it is being
        built or configured) and ``applying`` (inside moto's own configuration method)."""
        self.buckets = Holders(self)  # type: ignore[assignment]

    def forget(self, name: str | None = None) -> None:
        """Drop the cached holder of ``name`` (of every bucket if ``None``)."""
        with self._cache_lock:
            if name is None:
                self._cache.clear()
            else:
                self._cache.pop(name, None)

    def reset(self) -> None:
        """moto's reset: forget the cached holders; the stored buckets, their objects and their
        configuration stay (the store is reset by its owner)."""
        self.forget()
        self._pagination_tokens.clear()
        self.inventory_configs.clear()

    def visible_buckets(self) -> list[BucketRecord]:
        """The stored buckets the current request's principal may use (every one without auth)."""
        who = principal.get()
        return [record for record in self.service.list_buckets() if who.may_use(record.space)]

    # ---- holders ----------------------------------------------------------

    def get_bucket(self, bucket_name: str) -> FakeBucket:
        pinned: FakeBucket | None = getattr(self._pinned, "holders", {}).get(bucket_name)
        if pinned is not None:
            return pinned
        record = self.service.find_bucket(bucket_name)
        if record is None:
            self.forget(bucket_name)
            raise MissingBucket(bucket=bucket_name)
        node = self.service.bucket_root(record.root)
        version = (record.created, node.config)
        with self._cache_lock:
            cached = self._cache.get(bucket_name)
        if cached is not None and cached[0] == version:
            return cached[1]
        return self._keep(bucket_name, version, self._build(bucket_name, record.created, self.service.config_of(node)))

    def _keep(self, name: str, version: tuple[float, Any], fresh: FakeBucket) -> FakeBucket:
        """Cache ``fresh`` as the holder of ``name`` at ``version`` (creation time, configuration
        CID).  A cached holder of the same bucket (same creation time) takes ``fresh``'s state
        in place, so a holder moto's code (or a test) kept sees the new configuration, as
        moto's own buckets change in place."""
        with self._cache_lock:
            cached = self._cache.get(name)
            if cached is not None and cached[0][0] == version[0] and type(cached[1]) is type(fresh):
                cached[1].__dict__.update(fresh.__dict__)
                fresh = cached[1]
            self._cache[name] = (version, fresh)
        return fresh

    def head_bucket(self, bucket_name: str) -> FakeBucket:
        return self.get_bucket(bucket_name)

    def _build(self, name: str, created: float, config: Config) -> FakeBucket:
        """A fresh holder of bucket ``name`` set to ``config`` by moto's own methods."""
        before = s3_backends.bucket_accounts.get(name)
        holder = FakeBucket(  # type: ignore[abstract]
            name=name, account_id=owner_account(config, self.account_id), region_name=bucket_config.region_of(config),
            bucket_namespace=config.get("namespace"),
        )  # fmt: skip
        # FakeBucket registers its name in moto's process-wide bucket map; a holder must not
        # be found there (moto's own mock_aws would route to it later).
        if before is None:
            s3_backends.bucket_accounts.pop(name, None)
        else:
            s3_backends.bucket_accounts[name] = before
        holder.creation_date = datetime.datetime.fromtimestamp(created, datetime.UTC).replace(tzinfo=None)
        self.tagger.delete_all_tags_for_resource(holder.arn)
        with self._pin(holder):
            bucket_config.replay(holder, config, self._apply)
        return holder

    def _apply(self, method: str, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        """Run moto's own ``method`` (a configuration call of :data:`bucket_config.CONFIG_CALLS`);
        configuration calls it makes itself (``put_bucket_lifecycle`` calls
        ``put_bucket_lifecycle_configuration``) are moto's too, not recorded again."""
        depth = getattr(self._pinned, "applying", 0)
        self._pinned.applying = depth + 1
        try:
            return getattr(S3Backend, method)(self, bucket_name, *args, **kwargs)
        finally:
            self._pinned.applying = depth

    def _pin(self, holder: FakeBucket) -> _Pin:
        return _Pin(self._pinned, holder)

    # ---- bucket operations -------------------------------------------------

    def create_bucket(self, bucket_name: str, region_name: str, bucket_namespace: str | None = None) -> FakeBucket:
        who = principal.get()
        # moto's account of the bucket, kept where signatures decide nothing (tenancy decides otherwise)
        account = self.account_id if not who.checked and self.account_id != DEFAULT_ACCOUNT_ID else None
        config = creation_config(region_name, request_headers.get({}), bucket_namespace, account)
        try:
            record = self.service.create_bucket(bucket_name, who.space if who.checked else self.space, config)
        except BucketAlreadyOwnedByYou as exc:
            raise BucketAlreadyExists(bucket=bucket_name) from exc
        response_root.set(record.root)
        return self.get_bucket(bucket_name)

    def list_buckets(
        self, prefix: str | None = None, bucket_region: str | None = None, max_buckets: str | None = None
    ) -> list[FakeBucket]:
        holders = []
        for record in self.visible_buckets():
            if prefix and not record.name.startswith(prefix):
                continue
            try:
                holder = self.get_bucket(record.name)
            except MissingBucket:  # deleted since it was listed
                continue
            if not bucket_region or holder.region_name == bucket_region:
                holders.append(holder)
        return holders[: int(max_buckets)] if max_buckets else holders

    def delete_bucket(self, bucket_name: str) -> FakeBucket | None:
        holder = self.get_bucket(bucket_name)
        self.service.delete_bucket(bucket_name)
        self.forget(bucket_name)
        self.tagger.delete_all_tags_for_resource(holder.arn)
        return holder

    def configure(self, method: str, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        """moto's configuration call ``method``, validated and applied by moto on a fresh
        holder of the stored bucket, then recorded in the bucket's configuration document
        (one write: a new root)."""
        if method == "put_bucket_tagging":
            check_tags(dict(args[0] if args else kwargs.get("tags") or {}), BUCKET_TAGS)
        if method == "put_bucket_policy":
            check_policy(args[0] if args else kwargs.get("policy"))
        record = self.service.find_bucket(bucket_name)
        if record is None:
            raise MissingBucket(bucket=bucket_name)
        node = self.service.bucket_root(record.root)
        holder = self._build(bucket_name, record.created, self.service.config_of(node))
        with self._pin(holder):
            result = self._apply(method, bucket_name, *args, **kwargs)
        entry = bucket_config.state_entry(method, holder, bucket_config.call_entry(method, bucket_name, args, kwargs))
        operation = "".join(part.capitalize() for part in method.split("_"))
        written = self.service.configure(
            bucket_name, operation, lambda config: bucket_config.updated(config, method, entry)
        )
        response_root.set(written.root)
        self._keep(bucket_name, (record.created, self.service.bucket_root(written.root).config), holder)
        return result


def check_policy(policy: Any) -> None:
    """S3's first check of a bucket policy: a JSON object with a ``Statement`` (moto stores
    whatever it is given, and its anonymous-access check would then fail on every read)."""
    try:
        text = policy.decode("utf-8") if isinstance(policy, bytes) else str(policy)
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        document = None
    if not isinstance(document, dict) or "Statement" not in document:
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")


def owner_account(config: Config, requester: str) -> str:
    """The moto account a bucket belongs to: the one its configuration records (a bucket a
    non-default account made without signature checks), else moto's default account;
    with tenancy, the requester's (who can only reach its own space's buckets)."""
    recorded = config.get("account")
    if isinstance(recorded, str) and recorded:
        return recorded
    return requester if principal.get().checked else DEFAULT_ACCOUNT_ID


def creation_config(
    region_name: str, headers: Mapping[str, str], namespace: str | None = None, account: str | None = None
) -> Config:
    """The configuration a CreateBucket request sets: the moto account that created it (when
    given: see :func:`owner_account`), its region (unless the default), its namespace
    (``account-regional``, moto checked the name against it), and what moto's handler sets
    from ``x-amz-bucket-object-lock-enabled`` (versioning Enabled, Object Lock on) and
    ``x-amz-object-ownership``."""
    lower = {name.lower(): value for name, value in headers.items()}
    config: Config = {"account": account} if account else {}
    if region_name and region_name != bucket_config.DEFAULT_REGION:
        config["region"] = region_name
    if namespace:
        config["namespace"] = namespace
    if lower.get("x-amz-bucket-object-lock-enabled", "").lower() == "true":
        config["versioning"] = {"call": "put_bucket_versioning", "args": ["Enabled"]}
        config["object_lock"] = {"call": "put_object_lock_configuration", "args": [True, "", 0, 0]}
    ownership = lower.get("x-amz-object-ownership")
    if ownership:
        config["ownership"] = {"call": "put_bucket_ownership_controls", "args": [ownership]}
    return config


class _Pin:
    """While entered, ``get_bucket`` of the holder's name answers the holder (this thread)."""

    def __init__(self, local: threading.local, holder: FakeBucket) -> None:
        self._local, self._holder = local, holder
        self._before: FakeBucket | None = None

    def __enter__(self) -> None:
        holders = self._local.__dict__.setdefault("holders", {})
        self._before = holders.get(self._holder.name)
        holders[self._holder.name] = self._holder

    def __exit__(self, *exc: object) -> None:
        holders = self._local.holders
        if self._before is None:
            holders.pop(self._holder.name, None)
        else:
            holders[self._holder.name] = self._before


def _persisting(method: str) -> Any:
    def configuration_call(self: BucketHolders, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        if getattr(self._pinned, "applying", 0):  # called by moto's own configuration method
            return getattr(S3Backend, method)(self, bucket_name, *args, **kwargs)
        return self.configure(method, bucket_name, *args, **kwargs)

    configuration_call.__name__ = method
    configuration_call.__doc__ = f"moto's ``{method}``, persisted (:meth:`BucketHolders.configure`)."
    return configuration_call


for _method in bucket_config.CONFIG_CALLS:
    setattr(BucketHolders, _method, _persisting(_method))
