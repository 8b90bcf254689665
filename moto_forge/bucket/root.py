"""The bucket root: the DAG-CBOR node a bucket's registry root names, linking everything
the bucket holds, so that one CID is the whole bucket (objects, versions, configuration).

Node (every field always written, so a bucket state has exactly one encoding)::

    {"objects":  <CID of the objects MST root>,
     "versions": <CID of the versions MST root> | null,
     "config":   <CID of the configuration document> | null}

A bucket without any configuration has ``config: null``; one never written to with
versioning on has ``versions: null`` (see :mod:`moto_forge.bucket.versions`).  The configuration document
is a DAG-CBOR map from a configuration name (:data:`CONFIG_NAMES`) to its value (see
:mod:`moto_forge.s3.bucket_config` for what each value is); it is a block of its own, so
an object write re-encodes only the small root node, never the configuration.

Stores written before bucket roots existed name the objects MST root directly; such a
root reads as ``{"objects": <that root>, "versions": null, "config": null}`` (:func:`load_root`), and the
next write of the bucket replaces it with a node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto_forge.errors import DagCborError, ManifestError
from moto_forge.ipld import dagcbor
from moto_forge.ipld.blocks import BlockSource
from moto_forge.ipld.cid import CID, DAG_CBOR

CONFIG_NAMES = frozenset({
    "accelerate", "account", "acl", "cors", "encryption", "inventory", "lifecycle", "logging", "namespace",
    "notification", "object_lock", "ownership", "policy", "public_access_block", "region", "replication",
    "tagging", "versioning", "website",
})  # fmt: skip
"""The names a configuration document may hold (one per kind of bucket configuration)."""

Config = dict[str, Any]
"""A decoded configuration document: name -> plain DAG-CBOR data (maps, lists, strings,
bytes, integers, booleans, null)."""


@dataclass(frozen=True, slots=True)
class BucketRoot:
    """One bucket state: its objects' MST root and its configuration document (if any)."""

    objects: CID
    config: CID | None = None
    versions: CID | None = None

    def to_ipld(self) -> dict[str, Any]:
        return {"objects": self.objects, "versions": self.versions, "config": self.config}

    def encode(self) -> tuple[CID, bytes]:
        """The node block and its CID."""
        data = dagcbor.encode(self.to_ipld())
        return CID.compute(DAG_CBOR, data), data


def decode_root(data: bytes, cid: CID) -> BucketRoot:
    """The bucket root stored as ``cid`` (``data``, already verified against it): a node, or
    a bare objects MST root from before bucket roots existed.  :class:`ManifestError` names
    what is wrong with anything else."""
    raw = _decode(data, f"bucket root {cid}")
    if isinstance(raw, dict) and set(raw) == {"l", "e"}:  # an MST node: an older store's root
        return BucketRoot(cid)
    if not isinstance(raw, dict) or set(raw) != {"objects", "versions", "config"}:
        got = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise ManifestError(f"bucket root {cid}: fields {got}, expected ['config', 'objects', 'versions']")
    objects, versions, config = raw["objects"], raw["versions"], raw["config"]
    if not isinstance(objects, CID) or not all(v is None or isinstance(v, CID) for v in (versions, config)):
        raise ManifestError(f"bucket root {cid}: objects must be a link, versions and config a link or null")
    return BucketRoot(objects, config, versions)


def load_root(source: BlockSource, cid: CID) -> BucketRoot:
    """Read (verified) and decode the bucket root ``cid``."""
    return decode_root(source.get(cid), cid)


def encode_config(config: Config) -> tuple[CID, bytes]:
    """The configuration document block for ``config`` and its CID (``ManifestError`` if
    it names an unknown configuration)."""
    _check_names(config, "configuration")
    try:
        data = dagcbor.encode(config)
    except DagCborError as exc:
        raise ManifestError(f"configuration {sorted(config)}: {exc}") from exc
    return CID.compute(DAG_CBOR, data), data


def decode_config(data: bytes, cid: CID) -> Config:
    """The configuration document stored as ``cid`` (``data`` already verified against it)."""
    raw = _decode(data, f"configuration {cid}")
    if not isinstance(raw, dict):
        raise ManifestError(f"configuration {cid}: a {type(raw).__name__}, expected a map")
    _check_names(raw, f"configuration {cid}")
    return raw


def _check_names(config: Config, where: str) -> None:
    unknown = sorted(set(config) - CONFIG_NAMES)
    if unknown:
        raise ManifestError(f"{where}: unknown configuration name(s) {unknown}")


def _decode(data: bytes, where: str) -> Any:
    try:
        return dagcbor.decode(data)
    except DagCborError as exc:
        raise ManifestError(f"{where}: {exc}") from exc
