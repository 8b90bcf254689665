"""The tenants file: parsing, validation, 0600 on write, refusal when others can read it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from moto_forge import tenants
from moto_forge.tenants import Tenant, TenantFileError

ALICE = Tenant("alice", "MFAKALICE0000000001", "alice-secret-0123456789")
BOB = Tenant("bob", "MFAKBOB00000000000002", "bob/secret+0123456789=")


def raw(*entries: Tenant) -> str:
    """A tenants file as written by hand (no validation)."""
    return "".join(
        f'[[tenant]]\nname = "{t.name}"\naccess_key = "{t.access_key}"\nsecret_key = "{t.secret_key}"\n'
        for t in entries
    )


def test_render_and_parse_round_trip() -> None:
    assert tenants.parse(tenants.render([ALICE, BOB])) == [ALICE, BOB]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[tenant]]\nname = 'a'\naccess_key = 'MFAKAAAAAAAAAAAAAA'\n", "exactly the strings"),
        ("tenant = 3\n", "array of tables"),
        ("[other]\n", "unknown top-level"),
        ("[[tenant\n", "not valid TOML"),
        (tenants.render([ALICE]).replace('"alice"', '"../x"'), "a name is"),
        (tenants.render([ALICE]).replace(ALICE.access_key, "short"), "an access_key is"),
        (tenants.render([ALICE]).replace(ALICE.secret_key, "has space in it 0123456"), "a secret_key is"),
        (raw(ALICE, Tenant("alice", BOB.access_key, BOB.secret_key)), "tenant 'alice' already exists"),
        (raw(ALICE, Tenant("carol", ALICE.access_key, "carol-secret-0123456789")), "used twice"),
        (raw(Tenant("default", "MFAKDEFAULT000000000", "default-secret-012345")), "reserved"),
    ],
)
def test_bad_files_are_refused_with_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(TenantFileError, match=message):
        tenants.parse(text)


def test_add_writes_0600_and_generates_keys(tmp_path: Path) -> None:
    path = str(tmp_path / "tenants.toml")
    added = tenants.add_tenant(path, "alice")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tenants.ACCESS_KEY.fullmatch(added.access_key) and tenants.SECRET_KEY.fullmatch(added.secret_key)
    second = tenants.add_tenant(path, "bob")
    assert second.access_key != added.access_key and second.secret_key != added.secret_key
    assert tenants.load(path) == [added, second]
    with pytest.raises(TenantFileError, match=r"^tenant 'alice' already exists$"):
        tenants.add_tenant(path, "alice")
    assert tenants.load(path) == [added, second]  # a refused add leaves the file as it was
    tenants.remove_tenant(path, "alice")
    assert tenants.load(path) == [second]
    with pytest.raises(TenantFileError, match="no tenant named"):
        tenants.remove_tenant(path, "alice")


def test_a_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text(tenants.render([ALICE]))
    path.chmod(0o644)
    with pytest.raises(TenantFileError, match="chmod 600"):
        tenants.load(str(path))
    path.chmod(0o600)
    assert tenants.load(str(path)) == [ALICE]


def test_a_missing_file_means_no_tenants(tmp_path: Path) -> None:
    assert tenants.load(str(tmp_path / "absent.toml")) == []


def test_secrets_stay_out_of_reprs() -> None:
    assert ALICE.secret_key not in repr(ALICE) and ALICE.secret_key not in repr([ALICE])
