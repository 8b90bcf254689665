"""The package as users get it: ``python -m build`` makes a wheel and an sdist, the wheel
installs into a clean virtualenv (its dependencies from PyPI) and that install serves S3."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
import requests

from moto_forge import __version__

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float, why: Callable[[], str]) -> None:
    """Wait until ``url`` answers ``/-/health`` while ``process`` runs (else fail with ``why()``)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(f"{url}/-/health", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, why()
        time.sleep(0.3)


@pytest.mark.slow
def test_the_built_wheel_installs_into_a_clean_venv_and_serves(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=900)  # fmt: skip
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(dist.glob("moto_forge-*.whl"))
    sdist = next(dist.glob("moto_forge-*.tar.gz"))
    with zipfile.ZipFile(wheel) as wheel_zip:
        names = wheel_zip.namelist()
    assert "moto_forge/cli.py" in names and not any(name.startswith("tests/") for name in names)
    assert any(name.endswith("licenses/LICENSE") or name.endswith("/LICENSE") for name in names)
    with tarfile.open(sdist) as sdist_tar:
        assert any(name.endswith("/LICENSE") for name in sdist_tar.getnames())

    venv = tmp_path / "venv"
    clean = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=clean)
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)],
                             capture_output=True, text=True, timeout=1200, env=clean)  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    cli = str(venv / "bin" / "moto-forge")
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=120, env=clean)
    assert version.stdout.strip() == f"moto-forge {__version__}"

    port = free_port()
    command = [cli, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--quiet"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path, env=clean)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, server, 120, lambda: "the installed server did not start")
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")  # fmt: skip
        s3.create_bucket(Bucket="from-the-wheel")
        s3.put_object(Bucket="from-the-wheel", Key="k", Body=b"installed")
        assert s3.get_object(Bucket="from-the-wheel", Key="k")["Body"].read() == b"installed"
        console = requests.get(f"{url}/-/console/", timeout=10)  # templates and assets ship in the wheel
        assert console.status_code == 200 and "from-the-wheel" in console.text
        assert requests.get(f"{url}/-/console/static/console.js", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_dockerfile_copies_what_exists_and_sets_what_the_cli_reads() -> None:
    """The top-level Dockerfile is not built here (no Docker daemon): what it copies must
    exist, and every MOTO_FORGE_* it sets must be a setting ``serve`` reads."""
    from moto_forge.cli import build_parser

    text = (ROOT / "Dockerfile").read_text()
    for line in text.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    names = set(re.findall(r"(MOTO_FORGE_[A-Z_]+)=", text))
    assert names == {"MOTO_FORGE_DATA_DIR", "MOTO_FORGE_HOST", "MOTO_FORGE_PORT", "MOTO_FORGE_LOG_FORMAT"}
    settings = {"MOTO_FORGE_DATA_DIR": "/data", "MOTO_FORGE_HOST": "0.0.0.0", "MOTO_FORGE_PORT": "5000",
                "MOTO_FORGE_LOG_FORMAT": "json"}  # fmt: skip
    with pytest.MonkeyPatch.context() as env:
        for name, value in settings.items():
            env.setenv(name, value)
        args = build_parser().parse_args(["serve"])
    assert (args.data_dir, args.host, args.port, args.log_format) == ("/data", "0.0.0.0", 5000, "json")
    assert "/-/health" in text and 'CMD ["serve"]' in text


@pytest.mark.slow
def test_make_serve_on_a_fresh_copy_installs_only_the_runtime_and_answers(tmp_path: Path) -> None:
    """The README's first command on a fresh checkout: ``make serve PORT= DATA_DIR=`` makes its
    own ``.venv`` with the runtime only (no test tools), says what it is doing, and serves
    (``/-/health``, S3, the console)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                            check=True, timeout=60)  # fmt: skip
    copy = tmp_path / "checkout"
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith(("tests/forge/peer/node_modules", ".venv")):
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
    assert not (copy / ".venv").exists()
    port = free_port()
    clean = {
        name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "VIRTUAL_ENV", "MAKEFLAGS")
    }
    log = (tmp_path / "make-serve.log").open("wb")
    make = subprocess.Popen(["make", "serve", f"PORT={port}", f"DATA_DIR={tmp_path / 'data'}"], cwd=copy,
                            stdout=log, stderr=subprocess.STDOUT, env=clean, start_new_session=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, make, 900, lambda: (tmp_path / "make-serve.log").read_text(errors="replace")[-3000:])
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")  # fmt: skip
        s3.create_bucket(Bucket="fresh-clone")
        s3.put_object(Bucket="fresh-clone", Key="k", Body=b"served")
        assert s3.get_object(Bucket="fresh-clone", Key="k")["Body"].read() == b"served"
        assert "fresh-clone" in requests.get(f"{url}/-/console/", timeout=10).text
    finally:
        os.killpg(make.pid, 15)
        make.wait(timeout=60)
        log.close()
    output = (tmp_path / "make-serve.log").read_text(errors="replace")
    assert "make: installing moto-forge into .venv" in output and "test tools" not in output
    venv_python = str(copy / ".venv" / "bin" / "python")
    runtime_only = subprocess.run([venv_python, "-c", "import pytest"], capture_output=True, timeout=60)
    assert runtime_only.returncode != 0, "make serve installed the test tools too"
    assert (tmp_path / "data" / "registry.sqlite3").exists()
