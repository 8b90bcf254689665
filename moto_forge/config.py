"""Where moto_forge keeps its data, and how commands find it.

``--data-dir`` (default ``$MOTO_FORGE_DATA_DIR``, else
``$XDG_DATA_HOME/moto-forge``, else ``~/.local/share/moto-forge``) holds
``blobs/``, ``tmp/`` and, by default, the SQLite registry
``registry.sqlite3``.  ``--registry URL`` (default ``$MOTO_FORGE_REGISTRY``)
selects another registry, e.g. ``postgresql://user:pw@host:5432/db``.
Forge: ``MOTO_FORGE_UPLOAD_URL``, ``MOTO_FORGE_UPLOAD_DID``,
``MOTO_FORGE_UPLOAD_KEY``, ``MOTO_FORGE_CLAIMS_URL``, ``MOTO_FORGE_WRITE_MODE``,
``MOTO_FORGE_TIMEOUT`` (the ``--forge*`` and ``--write-mode`` options of ``serve``).
``MOTO_FORGE_LEGACY_BUCKET_NAMES=1``: buckets may be made with S3's legacy names
(``_`` and upper case, as moto allows; ``serve --legacy-bucket-names``).
"""

from __future__ import annotations

import os

DATA_DIR_ENV = "MOTO_FORGE_DATA_DIR"
LEGACY_BUCKET_NAMES_ENV = "MOTO_FORGE_LEGACY_BUCKET_NAMES"
REGISTRY_ENV = "MOTO_FORGE_REGISTRY"

FORGE_ENV = {
    "forge_url": "MOTO_FORGE_UPLOAD_URL",
    "forge_did": "MOTO_FORGE_UPLOAD_DID",
    "forge_key": "MOTO_FORGE_UPLOAD_KEY",
    "forge_did_document": "MOTO_FORGE_UPLOAD_DID_DOCUMENT",
    "forge_space": "MOTO_FORGE_SPACE",
    "forge_claims": "MOTO_FORGE_CLAIMS_URL",
    "write_mode": "MOTO_FORGE_WRITE_MODE",
    "forge_timeout": "MOTO_FORGE_TIMEOUT",
}
"""Forge settings shared by ``moto-forge serve``, the pytest plugin and ``mock_forge``."""


def forge_settings_from_env() -> dict[str, str]:
    """The Forge settings set in the environment (``ServerConfig`` field -> value)."""
    return {field: os.environ[name] for field, name in FORGE_ENV.items() if os.environ.get(name)}


def legacy_bucket_names_from_env() -> bool:
    """Whether ``MOTO_FORGE_LEGACY_BUCKET_NAMES`` asks for S3's legacy bucket names
    (``1``, ``true``, ``yes``, ``on``; see :mod:`moto_forge.bucket.names`)."""
    return os.environ.get(LEGACY_BUCKET_NAMES_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def default_data_dir() -> str:
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        return explicit
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "moto-forge")


def default_registry_url() -> str | None:
    return os.environ.get(REGISTRY_ENV) or None
