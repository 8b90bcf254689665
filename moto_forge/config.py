"""Where moto_forge keeps its data, and how commands find it.

``--data-dir`` (default ``$MOTO_FORGE_DATA_DIR``, else
``$XDG_DATA_HOME/moto-forge``, else ``~/.local/share/moto-forge``) holds
``blobs/``, ``tmp/`` and, by default, the SQLite registry
``registry.sqlite3``.  ``--registry URL`` (default ``$MOTO_FORGE_REGISTRY``)
selects another registry, e.g. ``postgresql://user:pw@host:5432/db``.
"""

from __future__ import annotations

import os

DATA_DIR_ENV = "MOTO_FORGE_DATA_DIR"
REGISTRY_ENV = "MOTO_FORGE_REGISTRY"


def default_data_dir() -> str:
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        return explicit
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "moto-forge")


def default_registry_url() -> str | None:
    return os.environ.get(REGISTRY_ENV) or None
