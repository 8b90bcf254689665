"""Real S3 clients, unmodified, against ``moto-forge serve`` with SigV4 on:
the aws CLI, rclone (Debian's package) and s3fs/fsspec.  Each compares bytes
and listings with the source."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SECURED_ACCESS, SECURED_SECRET, Served

ACCESS, SECRET = SECURED_ACCESS, SECURED_SECRET


@pytest.fixture(params=["embedded", "forge_sync", "forge_async"])
def target(request: pytest.FixtureRequest) -> Served:
    """A SigV4-checking server: on the embedded store, and on the real upload-api in both write modes."""
    name = {"embedded": "secured", "forge_sync": "secured_forge_sync", "forge_async": "secured_forge_async"}
    served: Served = request.getfixturevalue(name[request.param])
    return served


def client_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("RCLONE_")}
    env.update(AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1")
    return env


def aws(served: Served, *args: str) -> str:
    aws_bin = shutil.which("aws", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    assert aws_bin, "the aws CLI is installed by `make test` (awscli in the test extras)"
    result = subprocess.run(
        [aws_bin, "--endpoint-url", served.url, *args], env=client_env(), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def make_tree(root: Path, count: int) -> None:
    for i in range(count):
        path = root / f"d{i % 7}" / f"sub{i % 3}" / f"file-{i}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(i % 2000) + f"file {i}\n".encode())


def same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def test_aws_cli_cp_sync_ls(target: Served, tmp_path: Path) -> None:
    aws(target, "s3", "mb", "s3://cli-bucket")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(50 * 1024 * 1024))
    aws(target, "s3", "cp", str(big), "s3://cli-bucket/big.bin")  # multipart by default (8 MiB parts)
    back = tmp_path / "big-back.bin"
    aws(target, "s3", "cp", "s3://cli-bucket/big.bin", str(back))
    assert filecmp.cmp(big, back, shallow=False)
    etag = aws(target, "s3api", "head-object", "--bucket", "cli-bucket", "--key", "big.bin")
    assert '-7\\"' in etag  # 50 MiB in 8 MiB parts: a 7-part multipart upload

    source = tmp_path / "tree"
    make_tree(source, 500)
    aws(target, "s3", "sync", str(source), "s3://cli-bucket/tree")
    listing = aws(target, "s3", "ls", "--recursive", "s3://cli-bucket/tree/")
    listed = sorted(line.split(None, 3)[3] for line in listing.splitlines())
    assert listed == sorted(f"tree/{p.relative_to(source).as_posix()}" for p in source.rglob("*") if p.is_file())
    restored = tmp_path / "restored"
    aws(target, "s3", "sync", "s3://cli-bucket/tree", str(restored))
    assert same_tree(source, restored)
    again = aws(target, "s3", "sync", str(source), "s3://cli-bucket/tree")
    assert again.strip() == ""  # nothing to do: sizes and times match


def test_rclone_copy_and_check(target: Served, tmp_path: Path) -> None:
    rclone = shutil.which("rclone")
    assert rclone, "rclone is installed by `make test` (Debian package)"
    env = client_env()
    env.pop("AWS_CA_BUNDLE", None)  # rclone 1.60 fails with LoadCustomCABundleError when it is set
    env.update(
        RCLONE_CONFIG_FORGE_TYPE="s3",
        RCLONE_CONFIG_FORGE_PROVIDER="Other",
        RCLONE_CONFIG_FORGE_ENDPOINT=target.url,
        RCLONE_CONFIG_FORGE_ACCESS_KEY_ID=ACCESS,
        RCLONE_CONFIG_FORGE_SECRET_ACCESS_KEY=SECRET,
        RCLONE_CONFIG_FORGE_REGION="us-east-1",
    )
    source = tmp_path / "src"
    make_tree(source, 120)
    (source / "big.bin").write_bytes(os.urandom(12 * 1024 * 1024))  # over rclone's multipart cutoff

    def run(*args: str) -> str:
        result = subprocess.run([rclone, *args], env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    run("mkdir", "forge:rclone-bucket")
    run("copy", str(source), "forge:rclone-bucket/data")
    run("check", str(source), "forge:rclone-bucket/data")  # sizes and hashes (MD5 ETags)
    back = tmp_path / "back"
    run("copy", "forge:rclone-bucket/data", str(back))
    assert same_tree(source, back)
    listed = sorted(run("lsf", "-R", "--files-only", "forge:rclone-bucket/data").split())
    assert listed == sorted(p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file())


def test_s3fs_fsspec(target: Served) -> None:
    import s3fs

    fs: Any = s3fs.S3FileSystem(
        key=ACCESS,
        secret=SECRET,
        # no region_name: s3fs would send it as mkdir's LocationConstraint, which S3 refuses
        # for us-east-1 (InvalidLocationConstraint), as this server does
        client_kwargs={"endpoint_url": target.url},
        skip_instance_cache=True,
    )
    fs.mkdir("fsspec-bucket")
    payloads = {f"fsspec-bucket/dir/f{i}.bin": os.urandom(100 * i + 1) for i in range(10)}
    for path, data in payloads.items():
        with fs.open(path, "wb") as fh:
            fh.write(data)
    with fs.open("fsspec-bucket/large.bin", "wb", block_size=5 * 1024 * 1024) as fh:
        large = os.urandom(11 * 1024 * 1024)  # written as a multipart upload by s3fs
        fh.write(large)
    assert sorted(fs.find("fsspec-bucket/dir")) == sorted(payloads)
    assert fs.cat("fsspec-bucket/large.bin") == large
    for path, data in payloads.items():
        assert fs.cat(path) == data
        assert fs.size(path) == len(data)
    with fs.open("fsspec-bucket/large.bin", "rb") as fh:
        fh.seek(5 * 1024 * 1024 - 10)
        assert fh.read(20) == large[5 * 1024 * 1024 - 10 : 5 * 1024 * 1024 + 10]
    fs.rm("fsspec-bucket/dir", recursive=True)
    assert fs.ls("fsspec-bucket", refresh=True) == ["fsspec-bucket/large.bin"]
