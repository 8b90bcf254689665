"""A server's keys follow its tenants file, from the first request on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moto_forge import tenants
from moto_forge.forge.identity import Identity
from moto_forge.s3.sigv4 import SigV4Authenticator
from moto_forge.s3.tenancy import Tenancy
from moto_forge.tenant_keys import TenantKeys


class Backends:
    """What TenantKeys tells moto's backends: the spaces it serves."""

    def __init__(self) -> None:
        self.spaces: tuple[str, ...] = ()

    def add_spaces(self, spaces: tuple[str, ...]) -> None:
        self.spaces = spaces


def keys_started_from(tmp_path: Path, started_with: list[tenants.Tenant]) -> tuple[TenantKeys, SigV4Authenticator]:
    """TenantKeys as a worker builds them: keys from the tenants the command read at start."""
    data_dir = str(tmp_path)
    identities = {t.name: Identity.load_or_create(data_dir, t.name) for t in started_with}
    credentials = {"OWNKEY0000000000": "own-secret-0123456789"}
    spaces: dict[str, str | None] = dict.fromkeys(credentials)
    for t in started_with:
        credentials[t.access_key] = t.secret_key
        spaces[t.access_key] = identities[t.name].space.did
    authenticator = SigV4Authenticator(credentials)
    backends: Any = Backends()
    keys = TenantKeys(
        str(tmp_path / "tenants.toml"), {"OWNKEY0000000000": "own-secret-0123456789"}, identities,
        authenticator, Tenancy(spaces), backends, lambda name: Identity.load_or_create(data_dir, name),
    )  # fmt: skip
    return keys, authenticator


def test_a_tenant_added_while_a_worker_started_is_served_from_its_first_request(tmp_path: Path) -> None:
    path = str(tmp_path / "tenants.toml")
    alice = tenants.add_tenant(path, "alice")
    started_with = tenants.load(path)  # what `serve` read before it started its workers
    carol = tenants.add_tenant(path, "carol")  # the file changes while a worker imports
    keys, authenticator = keys_started_from(tmp_path, started_with)
    assert carol.access_key not in authenticator.credentials
    keys.check()  # the worker's first request
    assert {alice.access_key, carol.access_key} <= set(authenticator.credentials)
    assert carol.access_key in keys.tenancy.spaces


def test_an_unchanged_file_is_read_once(tmp_path: Path) -> None:
    path = str(tmp_path / "tenants.toml")
    tenants.add_tenant(path, "alice")
    keys, authenticator = keys_started_from(tmp_path, tenants.load(path))
    keys.check()
    applied = authenticator.credentials
    keys.check()
    assert authenticator.credentials is applied  # no second reload: the same mapping
    tenants.remove_tenant(path, "alice")
    keys.check()
    assert authenticator.credentials is not applied and len(authenticator.credentials) == 1
