"""The debug CLI, run once each as a real subprocess (the way users run it)."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from moto_forge.cli import main
from moto_forge.ipld.blocks import MemoryBlocks
from moto_forge.ipld.cid import CID, RAW
from moto_forge.mst import MST

TESTDATA = Path(__file__).parent / "ipld" / "testdata"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moto_forge.cli", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_mst_root_matches_the_library_and_the_vector() -> None:
    leaf = "bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454"
    keys = ["A0/374913", "B1/986427", "C0/451630", "E0/670489", "F1/085263", "G0/765327"]
    lines = "".join(json.dumps({"key": k, "value": leaf}) + "\n" for k in keys)
    result = run("mst", "root", stdin=lines)
    assert result.returncode == 0, result.stderr
    # atproto's "two deep split" fixture, rootBeforeCommit
    assert result.stdout.strip() == "bafyreicraprx2xwnico4tuqir3ozsxpz46qkcpox3obf5bagicqwurghpy"
    assert result.stdout.strip() == str(MST.from_items(MemoryBlocks(), [(k, CID.decode(leaf)) for k in keys]).root)


def test_mst_root_bad_input_is_one_line_error() -> None:
    result = run("mst", "root", stdin='{"key": "a"}\n')
    assert result.returncode == 1
    assert result.stderr.startswith("moto-forge: line 1") and "Traceback" not in result.stderr


def test_car_verify_and_ls_on_golden_files() -> None:
    ok = run("car", "verify", str(TESTDATA / "valid.car"))
    assert ok.returncode == 0
    assert "roots: bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm" in ok.stdout
    assert "blocks: 2" in ok.stdout
    listing = run("car", "ls", str(TESTDATA / "valid.car"))
    assert listing.stdout.splitlines() == [
        f"{CID.compute(RAW, b'hello')}\traw\t5",
        "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm\tdag-cbor\t7",
    ]


def test_car_verify_fails_on_every_broken_file() -> None:
    for name in ["bad-flipped-byte.car", "bad-truncated.car", "bad-oversized-section.car", "bad-cid.car"]:
        result = run("car", "verify", str(TESTDATA / name))
        assert result.returncode == 1, name
        assert "Traceback" not in result.stderr
    flipped = run("car", "verify", str(TESTDATA / "bad-flipped-byte.car"))
    assert str(CID.compute(RAW, b"hello")) in flipped.stderr


def test_missing_file_is_a_clean_error() -> None:
    result = run("car", "verify", "/nonexistent/x.car")
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_help_says_what_the_tool_is_for_and_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "an S3 server for developers" in text
    assert text.count("  moto-forge ") >= 3  # three example commands


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from moto_forge import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"moto-forge {__version__}"


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_out_of_range(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["serve", "--port", port])
    assert done.value.code == 2
    assert "argument --port:" in capsys.readouterr().err


def test_serve_host_and_port_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto_forge.cli import build_parser

    monkeypatch.setenv("MOTO_FORGE_HOST", "0.0.0.0")
    monkeypatch.setenv("MOTO_FORGE_PORT", "9123")
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("0.0.0.0", 9123)
    assert build_parser().parse_args(["serve", "--port", "7000"]).port == 7000
    monkeypatch.delenv("MOTO_FORGE_HOST")
    monkeypatch.delenv("MOTO_FORGE_PORT")
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 5000)


def test_the_auth_mode_is_said_with_its_reason() -> None:
    from moto_forge.cli import auth_note

    assert auth_note(True, True, 3, "/d/tenants.toml") == "signatures NOT checked, as moto (--no-auth)"
    assert "no tenants in /d/tenants.toml" in auth_note(False, False, 0, "/d/tenants.toml")
    checked = auth_note(False, False, 2, "/d/tenants.toml")
    assert checked.startswith("SigV4 checked (2 tenant(s) in /d/tenants.toml)") and "--no-auth" in checked
    assert auth_note(False, True, 0, "/d/t.toml").startswith("SigV4 checked (--access-key)")


def test_reading_commands_refuse_a_data_dir_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "typo")
    for args in (["status"], ["snapshots", "bkt"], ["fsck"], ["export", "bkt", "--out", str(tmp_path / "b.car")],
                 ["diff", "bkt", "a", "b"], ["gc"], ["space", "info"]):  # fmt: skip
        assert main([*args, "--data-dir", missing]) == 1, args
        assert capsys.readouterr().err.strip() == (
            f"moto-forge: no data directory at {missing} (moto-forge serve creates one; --data-dir or "
            "MOTO_FORGE_DATA_DIR names another)"
        )
        assert not (tmp_path / "typo").exists()  # nothing was created
        assert not (tmp_path / "b.car").exists()


def test_export_to_stdout_a_failed_export_leaves_no_file_and_a_bad_cid_is_named(tmp_path: Path) -> None:
    from moto_forge.bucket.service import BucketService

    service = BucketService.open(str(tmp_path))
    service.create_bucket("bkt")
    service.put_object("bkt", "k", io.BytesIO(b"v"))
    service.close()
    to_stdout = subprocess.run([sys.executable, "-m", "moto_forge.cli", "export", "bkt", "--out", "-", "--data-dir",
                                str(tmp_path)], capture_output=True, timeout=60)  # fmt: skip
    assert to_stdout.returncode == 0 and to_stdout.stdout[:1] != b"" and not (Path.cwd() / "-").exists()
    assert b"exported bkt root" in to_stdout.stderr
    car = tmp_path / "from-stdout.car"
    car.write_bytes(to_stdout.stdout)
    assert run("car", "verify", str(car)).returncode == 0
    failed = run("export", "nosuchbucket", "--out", str(tmp_path / "x.car"), "--data-dir", str(tmp_path))
    assert failed.returncode == 1 and not (tmp_path / "x.car").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]
    bad = run("diff", "bkt", "not-a-cid", "also-not", "--data-dir", str(tmp_path))
    assert bad.returncode == 1 and bad.stderr.strip() == "moto-forge: ROOT_A: not a CID: 'not-a-cid'"


def test_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    run("space", "info", "--data-dir", str(tmp_path))  # makes the identity
    shell = f"{sys.executable} -m moto_forge.cli space info --data-dir {tmp_path} | head -c 1"
    result = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=60)
    assert "Broken pipe" not in result.stderr and "Traceback" not in result.stderr


def test_serve_says_it_creates_a_data_dir_and_which_auth_mode_and_why(tmp_path: Path) -> None:
    fresh = tmp_path / "new-store"
    command = [sys.executable, "-m", "moto_forge.cli", "serve", "--port", "0", "--data-dir", str(fresh)]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        lines = [server.stderr.readline() for _ in range(2)]
    finally:
        server.terminate()
        server.communicate(timeout=30)  # reads and closes the pipe
    assert lines[0].strip() == f"moto-forge: creating data directory {fresh}"
    assert "signatures NOT checked, as moto (no --access-key, and no tenants in" in lines[1]
    assert fresh.is_dir()


def test_serve_logs_each_request_as_json_when_asked(tmp_path: Path) -> None:
    import socket

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "moto_forge.cli", "serve", "--port", str(port), "--data-dir", str(tmp_path),
               "--log-format", "json"]  # fmt: skip
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        assert "moto-forge serving S3" in server.stderr.readline()
        assert requests.put(f"http://127.0.0.1:{port}/logged-bucket", timeout=30).status_code == 200
        entry = json.loads(server.stderr.readline())
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert entry["operation"] == "CreateBucket" and entry["status"] == 200 and entry["path"] == "/logged-bucket"
    assert entry["request_id"] != "-"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto_forge import cli

    terminal = _Terminal()
    with cli.Progress("import", total=10 << 20, unit="B", stream=terminal) as progress:
        for done in range(1 << 20, 10 << 20, 1 << 20):
            progress(done)
    drawn = terminal.getvalue()
    assert drawn.startswith("\rimport:") and "10.0M" in drawn and "B/s" in drawn  # tqdm's bar: bytes, a total
    plain = io.StringIO()
    clock = iter(range(0, 100, 2))
    monkeypatch.setattr(cli.time, "monotonic", lambda: float(next(clock)))
    with cli.Progress("blocks checked", stream=plain) as progress:
        progress(5)
        progress(9)
    assert plain.getvalue().splitlines() == ["blocks checked: 5", "blocks checked: 9"]


def test_import_reports_bytes_and_works(tmp_path: Path) -> None:
    from moto_forge.bucket.service import BucketService

    service = BucketService.open(str(tmp_path / "a"))
    service.create_bucket("src")
    service.put_object("src", "k", io.BytesIO(b"v" * 5000))
    service.close()
    car = tmp_path / "src.car"
    assert run("export", "src", "--out", str(car), "--data-dir", str(tmp_path / "a")).returncode == 0
    imported = run("import", str(car), "copied", "--data-dir", str(tmp_path / "b"))
    assert imported.returncode == 0 and "imported" in imported.stdout
    fresh = BucketService.open(str(tmp_path / "b"))
    try:
        manifest, _ = fresh.head_object("copied", "k")
        assert b"".join(fresh.read_body(manifest)) == b"v" * 5000
    finally:
        fresh.close()
