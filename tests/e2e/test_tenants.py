"""Tenants against a real ``moto-forge serve``: each access key reaches only its own space's
buckets (AccessDenied otherwise), bucket names are unique server-wide, the tenants file
must be 0600, and no secret reaches the server's log."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from moto_forge import tenants
from tests.e2e.conftest import OWN_ACCESS, OWN_SECRET, ROOT, Served, as_user, start_server

pytestmark = pytest.mark.no_forge


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def tenanted(tmp_path: Path) -> Iterator[tuple[Served, dict[str, tenants.Tenant]]]:
    data_dir = str(tmp_path)
    path = os.path.join(data_dir, "tenants.toml")
    people = {name: tenants.add_tenant(path, name) for name in ("alice", "bob")}
    server = start_server(data_dir, "--access-key", OWN_ACCESS, "--secret-key", OWN_SECRET)
    yield server, people
    server.stop()


def test_each_key_reaches_only_its_own_buckets(tenanted: tuple[Served, dict[str, tenants.Tenant]]) -> None:
    server, people = tenanted
    alice = as_user(server.url, people["alice"].access_key, people["alice"].secret_key)
    bob = as_user(server.url, people["bob"].access_key, people["bob"].secret_key)
    own = as_user(server.url, OWN_ACCESS, OWN_SECRET)
    alice.create_bucket(Bucket="alice-data")
    alice.put_object(Bucket="alice-data", Key="diary.txt", Body=b"dear diary")
    bob.create_bucket(Bucket="bob-data")
    bob.put_object(Bucket="bob-data", Key="notes.txt", Body=b"bob's notes")
    own.create_bucket(Bucket="server-data")
    root = alice.head_object(Bucket="alice-data", Key="diary.txt")["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"]

    assert [b["Name"] for b in alice.list_buckets()["Buckets"]] == ["alice-data"]
    assert [b["Name"] for b in bob.list_buckets()["Buckets"]] == ["bob-data"]
    assert [b["Name"] for b in own.list_buckets()["Buckets"]] == ["server-data"]

    denied = ("AccessDenied", 403)
    bucket = {"Bucket": "alice-data"}
    assert error_of(bob.get_object, Key="diary.txt", **bucket) == denied
    assert error_of(bob.put_object, Key="diary.txt", Body=b"overwritten", **bucket) == denied
    assert error_of(bob.delete_object, Key="diary.txt", **bucket) == denied
    assert error_of(bob.delete_objects, Delete={"Objects": [{"Key": "diary.txt"}]}, **bucket) == denied
    assert error_of(bob.list_objects_v2, **bucket) == denied
    assert error_of(bob.create_multipart_upload, Key="big", **bucket) == denied
    assert error_of(bob.put_bucket_tagging, Tagging={"TagSet": []}, **bucket) == denied
    assert error_of(bob.delete_bucket, **bucket) == denied
    assert error_of(own.get_object, Key="diary.txt", **bucket) == denied  # the server's key is a tenant too
    assert error_of(bob.copy_object, Bucket="bob-data", Key="stolen", CopySource="alice-data/diary.txt") == denied
    assert error_of(bob.head_object, Key="diary.txt", **bucket)[1] == 403
    # names are unique across the server, as across AWS
    assert error_of(bob.create_bucket, **bucket) == ("BucketAlreadyExists", 409)
    # a URL bob presigns for alice's object is refused; alice's own is honoured
    url = bob.generate_presigned_url("get_object", Params={"Key": "diary.txt", **bucket}, ExpiresIn=60)
    assert requests.get(url, timeout=10).status_code == 403
    url = alice.generate_presigned_url("get_object", Params={"Key": "diary.txt", **bucket}, ExpiresIn=60)
    assert requests.get(url, timeout=10).content == b"dear diary"
    # unsigned requests are refused outright
    assert requests.get(f"{server.url}/alice-data/diary.txt", timeout=10).status_code == 403

    # nothing bob tried changed alice's bucket
    after = alice.get_object(Key="diary.txt", **bucket)
    assert after["Body"].read() == b"dear diary"
    assert after["ResponseMetadata"]["HTTPHeaders"]["x-forge-root"] == root
    assert [o["Key"] for o in alice.list_objects_v2(**bucket)["Contents"]] == ["diary.txt"]
    alice.copy_object(Bucket="alice-data", Key="copy.txt", CopySource="alice-data/diary.txt")

    # ownership survives a restart
    server.stop()
    again = start_server(server.data_dir, "--access-key", OWN_ACCESS, "--secret-key", OWN_SECRET, port=server.port)
    try:
        assert error_of(bob.get_object, Key="diary.txt", **bucket) == denied
        assert alice.get_object(Key="copy.txt", **bucket)["Body"].read() == b"dear diary"
    finally:
        again.stop()

    # each tenant has its own space key, 0600, and no secret is in the server's log
    for name in ("alice", "bob"):
        key = Path(server.data_dir, "identity", "tenants", name, "space.key")
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    spaces = {Path(server.data_dir, "identity", "tenants", n, "space.key").read_text() for n in ("alice", "bob")}
    assert len(spaces) == 2
    logs = "".join(p.read_text() for p in Path(server.data_dir).glob("server-*.log"))
    for secret in (people["alice"].secret_key, people["bob"].secret_key, OWN_SECRET, *spaces):
        assert secret.strip() not in logs


def test_a_tenants_file_others_can_read_stops_the_server(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    tenants.add_tenant(str(path), "alice")
    path.chmod(0o640)
    with pytest.raises(RuntimeError, match="did not start"):
        start_server(str(tmp_path))
    log = "".join(p.read_text() for p in tmp_path.glob("server-*.log"))
    assert "chmod 600" in log and "Traceback" not in log


def test_tenant_commands(tmp_path: Path) -> None:
    def cli(*args: str) -> str:
        command = [sys.executable, "-m", "moto_forge.cli", "tenant", *args, "--data-dir", str(tmp_path)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    added = cli("add", "carol")
    (entry,) = tenants.load(str(tmp_path / "tenants.toml"))
    assert entry.secret_key in added and entry.access_key in added
    assert stat.S_IMODE((tmp_path / "tenants.toml").stat().st_mode) == 0o600
    listed = cli("list")
    assert entry.access_key in listed and "did:key:z" in listed and entry.secret_key not in listed
    cli("remove", "carol")
    assert tenants.load(str(tmp_path / "tenants.toml")) == []


def test_tenant_changes_apply_while_the_server_runs(tenanted: tuple[Served, dict[str, tenants.Tenant]]) -> None:
    """``tenant remove`` stops the key at the next request, ``tenant add`` works at once,
    a broken file keeps the keys in use, and SIGHUP reloads instead of killing the server."""
    import signal
    import time

    server, people = tenanted
    path = os.path.join(server.data_dir, "tenants.toml")
    alice = as_user(server.url, people["alice"].access_key, people["alice"].secret_key)
    alice.create_bucket(Bucket="alice-live")
    tenants.remove_tenant(path, "alice")
    assert error_of(alice.list_objects_v2, Bucket="alice-live") == ("InvalidAccessKeyId", 403)
    carol = tenants.add_tenant(path, "carol")
    as_carol = as_user(server.url, carol.access_key, carol.secret_key)
    as_carol.create_bucket(Bucket="carol-live")
    assert [b["Name"] for b in as_carol.list_buckets()["Buckets"]] == ["carol-live"]
    assert error_of(as_carol.list_objects_v2, Bucket="alice-live") == ("AccessDenied", 403)

    good = Path(path).read_text()
    Path(path).write_text("[[tenant\n")  # a broken file is not applied: the keys in use stay
    assert as_carol.list_objects_v2(Bucket="carol-live")["KeyCount"] == 0
    Path(path).write_text(good)

    server.process.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert server.process.poll() is None  # still serving
    assert as_carol.list_objects_v2(Bucket="carol-live")["KeyCount"] == 0
    own = as_user(server.url, OWN_ACCESS, OWN_SECRET)
    assert own.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_sighup_does_not_stop_a_server_without_keys(tmp_path: Path) -> None:
    import signal
    import time

    server = start_server(str(tmp_path))
    try:
        server.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert server.process.poll() is None
        assert requests.get(f"{server.url}/-/health", timeout=30).status_code == 200
    finally:
        server.stop()
