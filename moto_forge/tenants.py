"""Tenants: S3 access keys, each bound to its own Forge space.

A tenants file (TOML, default ``<data-dir>/tenants.toml``, or ``--tenants``
/ ``$MOTO_FORGE_TENANTS``) lists them::

    [[tenant]]
    name = "alice"
    access_key = "MFAK..."
    secret_key = "..."

Contract:
- The file holds secrets, so it must be mode 0600 (no group or other bits)
  or it is refused (:class:`TenantFileError`), as ssh refuses a readable key.
- Names are 1-64 of ``[A-Za-z0-9_-]``; access keys 16-128 of ``[A-Z0-9]``;
  secret keys 16-128 of ``[A-Za-z0-9+/=_-]``.  Names and access keys are unique.
- Each tenant's space is a generated ``did:key`` kept under
  ``<data-dir>/identity/tenants/<name>/`` (see :mod:`moto_forge.forge.identity`);
  the name ``default`` is reserved for the server's own space (the
  ``--access-key`` of ``serve``).
- :func:`add_tenant` rewrites the file atomically, 0600, and never prints or
  logs secrets itself (the CLI prints a new secret once, to the user who asked).
"""

from __future__ import annotations

import os
import re
import secrets
import string
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass

from moto_forge.errors import ForgeError

TENANTS_FILE = "tenants.toml"
TENANTS_ENV = "MOTO_FORGE_TENANTS"
DEFAULT_TENANT = "default"
"""The tenant bound to the server's own space (``serve --access-key``; buckets made before tenants)."""

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
ACCESS_KEY = re.compile(r"[A-Z0-9]{16,128}")
SECRET_KEY = re.compile(r"[A-Za-z0-9+/=_-]{16,128}")
ACCESS_KEY_PREFIX = "MFAK"


class TenantFileError(ForgeError):
    """The tenants file cannot be used (unsafe mode, bad syntax, invalid or duplicate entries)."""


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    access_key: str
    secret_key: str

    def __repr__(self) -> str:  # never show the secret in logs or tracebacks
        return f"Tenant(name={self.name!r}, access_key={self.access_key!r})"


def default_path(data_dir: str) -> str:
    return os.environ.get(TENANTS_ENV) or os.path.join(data_dir, TENANTS_FILE)


def validate(tenants: Iterable[Tenant]) -> list[Tenant]:
    """The tenants, checked (see the module contract); raise :class:`TenantFileError`."""
    checked: list[Tenant] = []
    names: set[str] = set()
    keys: set[str] = set()
    for tenant in tenants:
        where = f"tenant {tenant.name!r}"
        if not NAME.fullmatch(tenant.name):
            raise TenantFileError(f"{where}: a name is 1-64 of A-Z a-z 0-9 _ -")
        if not ACCESS_KEY.fullmatch(tenant.access_key):
            raise TenantFileError(f"{where}: an access_key is 16-128 of A-Z 0-9")
        if not SECRET_KEY.fullmatch(tenant.secret_key):
            raise TenantFileError(f"{where}: a secret_key is 16-128 of A-Z a-z 0-9 + / = _ -")
        if tenant.name == DEFAULT_TENANT:
            raise TenantFileError(f"{where}: the name is reserved for the server's own space")
        if tenant.name in names:
            raise TenantFileError(f"{where} already exists")
        if tenant.access_key in keys:
            raise TenantFileError(f"{where}: access_key {tenant.access_key} is used twice")
        names.add(tenant.name)
        keys.add(tenant.access_key)
        checked.append(tenant)
    return checked


def parse(text: str, source: str = "tenants file") -> list[Tenant]:
    """Tenants from TOML text (pure; see the module contract)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TenantFileError(f"{source}: not valid TOML: {exc}") from exc
    unknown = set(document) - {"tenant"}
    if unknown:
        raise TenantFileError(f"{source}: unknown top-level entries {sorted(unknown)}")
    entries = document.get("tenant", [])
    if not isinstance(entries, list):
        raise TenantFileError(f"{source}: 'tenant' must be an array of tables ([[tenant]])")
    tenants = []
    for i, entry in enumerate(entries):
        fields = {"name", "access_key", "secret_key"}
        if not isinstance(entry, dict) or set(entry) != fields or not all(isinstance(v, str) for v in entry.values()):
            raise TenantFileError(f"{source}: tenant #{i + 1} must have exactly the strings {sorted(fields)}")
        tenants.append(Tenant(entry["name"], entry["access_key"], entry["secret_key"]))
    return validate(tenants)


def render(tenants: Iterable[Tenant]) -> str:
    """The TOML text of ``tenants`` (validated, so every value is a plain quoted string)."""
    lines = ["# moto-forge tenants: access keys, each bound to its own Forge space. Keep this file 0600.", ""]
    for tenant in validate(tenants):
        lines += [
            "[[tenant]]",
            f'name = "{tenant.name}"',
            f'access_key = "{tenant.access_key}"',
            f'secret_key = "{tenant.secret_key}"',
            "",
        ]
    return "\n".join(lines)


def load(path: str) -> list[Tenant]:
    """The tenants in ``path`` (none if it does not exist); refuses a file others can read."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TenantFileError(f"cannot open the tenants file {path}: {exc.strerror}") from exc
    try:
        mode = os.fstat(fd).st_mode & 0o777
        if mode & 0o077:
            raise TenantFileError(
                f"the tenants file {path} holds secrets but has mode {mode:04o}; run: chmod 600 {path}"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read()
    finally:
        os.close(fd)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TenantFileError(f"{path}: not UTF-8") from exc
    return parse(text, path)


def save(path: str, tenants: Iterable[Tenant]) -> None:
    """Write ``tenants`` to ``path`` atomically with mode 0600."""
    text = render(tenants)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temp = f"{path}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", closefd=False) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        os.close(fd)
    os.replace(temp, path)


def generate_access_key() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return ACCESS_KEY_PREFIX + "".join(secrets.choice(alphabet) for _ in range(16))


def generate_secret_key() -> str:
    return secrets.token_urlsafe(30)


def add_tenant(path: str, name: str, access_key: str | None = None, secret_key: str | None = None) -> Tenant:
    """Append a tenant to the file (creating it), generating missing keys; return it."""
    existing = load(path)
    tenant = Tenant(name, access_key or generate_access_key(), secret_key or generate_secret_key())
    save(path, [*existing, tenant])  # validates: duplicate names and keys are refused
    return tenant


def remove_tenant(path: str, name: str) -> None:
    """Drop a tenant from the file (its space and buckets stay)."""
    existing = load(path)
    kept = [t for t in existing if t.name != name]
    if len(kept) == len(existing):
        raise TenantFileError(f"no tenant named {name!r} in {path}")
    save(path, kept)
