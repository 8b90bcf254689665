"""S3 object attributes kept in the manifest's ``x`` map: what a write's headers (and the
bucket's defaults) set, and the headers a read answers with.

``x`` names (docs/architecture.md): ``sc`` storage class (absent: STANDARD), ``rs`` the
restore status of an archived one (``x-amz-restore``'s value), ``sse``
server-side encryption algorithm, ``kms`` its KMS key id, ``bk`` bucket key enabled
(``true``), ``wr`` website redirect location, ``lm`` / ``lu`` / ``lh`` Object Lock mode,
retain-until date (ISO 8601) and legal hold (``ON`` / ``OFF``), ``acl`` the object ACL
(canonical JSON of its grants, :func:`acl_text`).  moto_forge encrypts nothing itself:
``sse`` records what the client (or the bucket default) asked for, as moto does.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeAcl, get_canned_acl
from moto.s3.responses import S3Response
from werkzeug.datastructures import Headers

from moto_forge.bucket.root import Config
from moto_forge.errors import InvalidArgument, InvalidRequest, InvalidStorageClass
from moto_forge.s3 import bucket_config
from moto_forge.s3.acl_headers import check_acl_headers

STORAGE_CLASSES = frozenset({
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
    "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
})  # fmt: skip
SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
LOCK_MODES = frozenset({"GOVERNANCE", "COMPLIANCE"})


def from_headers(headers: Headers | Mapping[str, str], config: Config, now: float) -> dict[str, str]:
    """The attributes a PutObject / CreateMultipartUpload / CopyObject with ``headers``
    (lower-case names, or werkzeug's case-insensitive ``Headers``) sets in a bucket with
    configuration ``config``; the S3 error of a bad value."""
    x: dict[str, str] = {}
    storage = headers.get("x-amz-storage-class")
    if storage is not None:
        if storage not in STORAGE_CLASSES:
            raise InvalidStorageClass("The storage class you specified is not valid", StorageClassRequested=storage)
        if storage != "STANDARD":
            x["sc"] = storage
    x.update(_encryption(headers, config))
    redirect = headers.get("x-amz-website-redirect-location")
    if redirect:
        if not redirect.startswith(("/", "http://", "https://")):
            raise InvalidArgument("The website redirect location must have a prefix of 'http://' or 'https://' or '/'",
                                  ArgumentName="x-amz-website-redirect-location")  # fmt: skip
        x["wr"] = redirect
    x.update(_lock(headers, config, now))
    acl = acl_from_headers(headers)
    if acl is not None:
        x["acl"] = acl_text(acl)
    return x


def response_headers(x: Mapping[str, str]) -> dict[str, str]:
    """The headers GET / HEAD (and a write's response) answer with for attributes ``x``."""
    names = {
        "sc": "x-amz-storage-class", "sse": "x-amz-server-side-encryption",
        "kms": "x-amz-server-side-encryption-aws-kms-key-id", "bk": "x-amz-server-side-encryption-bucket-key-enabled",
        "wr": "x-amz-website-redirect-location", "lm": "x-amz-object-lock-mode",
        "lu": "x-amz-object-lock-retain-until-date", "lh": "x-amz-object-lock-legal-hold", "rs": "x-amz-restore",
    }  # fmt: skip
    return {header: x[name] for name, header in names.items() if name in x}


def write_headers(x: Mapping[str, str]) -> dict[str, str]:
    """The attribute headers a write's response carries (the encryption ones, as S3)."""
    return {name: value for name, value in response_headers(x).items() if "server-side-encryption" in name}


ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})


def archived(x: Mapping[str, str]) -> bool:
    """Whether an object with attributes ``x`` must be restored before it is read (GLACIER
    and DEEP_ARCHIVE, as S3; ``rs``, when restored, says until when it is readable)."""
    return x.get("sc") in ARCHIVED and "rs" not in x


def acl_from_headers(headers: Headers | Mapping[str, str]) -> FakeAcl | None:
    """The ACL ``x-amz-acl`` or ``x-amz-grant-*`` name (moto's parser), ``None`` for none."""
    granted = any(name.lower().startswith("x-amz-grant-") for name, _ in headers.items())
    if headers.get("x-amz-acl") is None and not granted:
        return None
    check_acl_headers(headers.items())
    if headers.get("x-amz-acl") is not None and granted:
        raise InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
    try:
        return S3Response._acl_from_headers(None, dict(headers))  # type: ignore[arg-type]
    except (KeyError, AttributeError, S3ClientError) as exc:
        raise InvalidArgument("The ACL headers are not valid", ArgumentName="x-amz-acl") from exc


def acl_text(acl: FakeAcl) -> str:
    """An ACL as ``x["acl"]`` holds it: canonical JSON of its plain form."""
    return json.dumps(bucket_config.to_plain(acl), sort_keys=True, separators=(",", ":"))


def acl_of(text: str) -> FakeAcl:
    acl: FakeAcl = bucket_config.from_plain(json.loads(text))
    return acl


def canned(name: str) -> FakeAcl:
    return get_canned_acl(name)


def _encryption(headers: Headers | Mapping[str, str], config: Config) -> dict[str, str]:
    algorithm = headers.get("x-amz-server-side-encryption")
    key_id = headers.get("x-amz-server-side-encryption-aws-kms-key-id")
    bucket_key = headers.get("x-amz-server-side-encryption-bucket-key-enabled")
    if algorithm is None:
        default = _bucket_encryption(config)
        if default is None:
            if key_id:
                raise InvalidArgument("A KMS key id needs x-amz-server-side-encryption: aws:kms",
                                      ArgumentName="x-amz-server-side-encryption")  # fmt: skip
            return {}
        algorithm, key_id = default.get("SSEAlgorithm"), key_id or default.get("KMSMasterKeyID")
        if bucket_key is None and default.get("BucketKeyEnabled") is not None:
            bucket_key = str(default.get("BucketKeyEnabled")).lower()
    if algorithm not in SSE_ALGORITHMS:
        raise InvalidArgument(f"The encryption method specified is not supported: {str(algorithm)[:40]}",
                              ArgumentName="x-amz-server-side-encryption")  # fmt: skip
    x = {"sse": str(algorithm)}
    if key_id and algorithm.startswith("aws:kms"):
        x["kms"] = str(key_id)
    if bucket_key and bucket_key.lower() == "true":
        x["bk"] = "true"
    return x


def _bucket_encryption(config: Config) -> dict[str, Any] | None:
    entry: Any = config.get("encryption")
    try:
        rule = entry["args"][0]["Rule"]
        rule = rule[0] if isinstance(rule, list) else rule
        default = dict(rule["ApplyServerSideEncryptionByDefault"])
        if "BucketKeyEnabled" in rule:
            default["BucketKeyEnabled"] = rule["BucketKeyEnabled"]
        return default
    except (TypeError, KeyError, IndexError):
        return None


def _lock(headers: Headers | Mapping[str, str], config: Config, now: float) -> dict[str, str]:
    mode = headers.get("x-amz-object-lock-mode")
    until = headers.get("x-amz-object-lock-retain-until-date")
    hold = headers.get("x-amz-object-lock-legal-hold")
    lock = (config.get("object_lock") or {}).get("args") or [False, None, 0, 0]
    enabled = bool(lock[0])
    if (mode or until or hold) and not enabled:
        raise InvalidRequest("Bucket is missing Object Lock Configuration", ArgumentName="x-amz-object-lock-mode")
    if bool(mode) != bool(until):
        raise InvalidArgument("x-amz-object-lock-mode and x-amz-object-lock-retain-until-date go together",
                              ArgumentName="x-amz-object-lock-mode")  # fmt: skip
    x: dict[str, str] = {}
    if mode:
        if mode not in LOCK_MODES:
            raise InvalidArgument("Unknown wormMode directive.", ArgumentName="x-amz-object-lock-mode")
        x["lm"], x["lu"] = mode, str(until)
    elif enabled and lock[1]:  # the bucket's default retention
        days, years = int(lock[2] or 0), int(lock[3] or 0)
        end = datetime.datetime.fromtimestamp(now, datetime.UTC) + datetime.timedelta(days=days + 365 * years)
        x["lm"], x["lu"] = str(lock[1]), end.strftime("%Y-%m-%dT%H:%M:%SZ")
    if hold:
        if hold not in ("ON", "OFF"):
            raise InvalidArgument(
                "Legal Hold must be either of 'ON' or 'OFF'", ArgumentName="x-amz-object-lock-legal-hold"
            )
        x["lh"] = hold
    return x
