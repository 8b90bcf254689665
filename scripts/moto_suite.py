"""moto's own S3 test suite (``tests/test_s3`` of the installed moto's source distribution)
as the judge of "replaces moto", in server mode against a real ``moto-forge serve``.

    python scripts/moto_suite.py [--mode server|inprocess] [--against moto_forge|moto_server] [--update]

Fetches the sdist of the installed moto version from PyPI once (into
``.cache/moto-suite/``; nothing of moto is copied into the project), starts the
server on a free port with a temporary data directory, runs the suite with
``TEST_SERVER_MODE=true`` and compares the outcome with the checked-in list of
tests expected to fail (``tests/moto_suite/<mode>-expected-failures.txt``: one
``<test id>  # <reason>`` per line; a reason starting ``[either]`` marks a test whose
outcome depends on chance, e.g. the order of two random names, and is not checked).
Exit status 1 on any failure not on the list and on any listed test that now
passes, so the list only shrinks; ``--update``
rewrites the list from this run (new entries get the failure's first line as
their reason, existing reasons are kept).  ``--against moto_server`` runs the same
suite against moto's own server (or plain ``mock_aws``), for the baseline count
(no list is checked).

moto_forge runs with ``MOTO_FORGE_LEGACY_BUCKET_NAMES=1``, as a moto user switching
would: moto's tests name buckets ``log_bucket`` or ``MyBucket``, which S3's legacy
rules allow and its current ones refuse (moto_forge's default; see
``moto_forge/bucket/names.py``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "moto-suite"
LISTS = ROOT / "tests" / "moto_suite"
SUITE = "tests/test_s3"
PER_TEST_TIMEOUT = 60
EITHER = "[either]"


def moto_tests() -> Path:
    """The extracted ``tests/`` of the installed moto's sdist (downloaded once)."""
    version = importlib.metadata.version("moto")
    target = CACHE / f"moto-{version}"
    if (target / SUITE).is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             f"moto=={version}", "-d", download],
            check=True,
        )  # fmt: skip
        archive = next(Path(download).glob("moto-*.tar.gz"))
        staging = CACHE / f".moto-{version}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(archive) as tar:
            prefix = f"moto-{version}/"
            wanted = (prefix + "tests/", prefix + "pyproject.toml")
            members = [m for m in tar.getmembers() if m.name.startswith(wanted)]
            for member in members:
                member.name = member.name[len(prefix) :]
            tar.extractall(staging, members=members, filter="data")
        staging.rename(target)
    return target


MOTO_PORT = 5000
"""moto's own server-mode port: some of its tests address ``localhost:5000`` directly."""


def free_port() -> int:
    """:data:`MOTO_PORT` when it is free, else any free port."""
    for wanted in (MOTO_PORT, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", wanted))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


def start(against: str, data_dir: str, port: int) -> subprocess.Popen[bytes]:
    if against == "moto_server":
        command = [sys.executable, "-m", "moto.server", "-p", str(port)]
    else:
        command = [sys.executable, "-m", "moto_forge.cli", "serve", "--port", str(port), "--data-dir", data_dir,
                   "--quiet", "--allow-reset", "--legacy-bucket-names"]  # fmt: skip
    log = open(os.path.join(data_dir, "server.log"), "wb")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(command, stdout=log, stderr=log, cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{against} did not start (see {data_dir}/server.log)") from None
            time.sleep(0.2)


def outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """test id -> (passed | failed | skipped, first line of the failure)."""
    results: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        parts = module.split("/")
        # classname is "tests.test_s3.test_x" or "tests.test_s3.test_x.TestClass"
        path_parts = [p for p in parts if not p[:1].isupper()]
        classes = [p for p in parts if p[:1].isupper()]
        test_id = "/".join(path_parts) + ".py::" + "::".join([*classes, case.get("name", "")])
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            first = (problem.get("message") or problem.text or "").strip().splitlines()
            results[test_id] = ("failed", (first[0] if first else "failed")[:160])
        elif case.find("skipped") is not None:
            results[test_id] = ("skipped", "")
        else:
            results[test_id] = ("passed", "")
    return results


NOTIFICATIONS = "notifications of writes not built yet (restore, POST uploads: Step 10)"
CAUSES = {
    "test_s3_acl.py": "ACLs are not kept (Step 10)",
    "test_s3_select.py": "S3 Select needs the object body inside moto (Step 10)",
    "test_s3_lock.py": "Object Lock is not built (Step 10)",
    "test_s3_storageclass.py": "storage classes and RestoreObject are not kept (Step 10)",
    "test_s3_list_object_versions.py": "versioning is not built (Step 10)",
    "test_s3_eventbridge_integration.py": NOTIFICATIONS,
    "test_s3_lambda_integration.py": NOTIFICATIONS,
    "test_s3_integration.py": "bucket tags are not kept, so the tagging API finds none (Step 10)",
    "test_s3_tagging.py": "tag rules are not S3's (Step 10)",
    "test_s3_object_attributes.py": "GetObjectAttributes is not built (Step 10)",
    "test_s3_logging.py": "bucket logging is not kept (Step 10)",
    "test_s3_bucket_policy.py": "bucket policies are not kept (Step 10)",
    "test_s3_encryption.py": "server-side encryption headers are not kept (Step 10)",
    "test_s3_metadata.py": "bucket metadata configuration is not kept (Step 10)",
}
"""A cause per test module, where one explains every failure in it (new entries get it)."""


def reason_for(test_id: str, observed: str) -> str:
    module = test_id.split("::", 1)[0].rsplit("/", 1)[-1]
    cause = CAUSES.get(module, "not analysed yet")
    return f"{cause}; fails with: {observed}"


def read_expected(path: Path) -> dict[str, str]:
    expected: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                test_id, _, reason = line.partition("  # ")
                expected[test_id.strip()] = reason.strip()
    return expected


def write_expected(path: Path, mode: str, results: dict[str, tuple[str, str]], old: dict[str, str]) -> None:
    lines = [
        f"# moto's tests/test_s3 ({mode} mode) that fail on moto_forge, each with its reason.",
        "# Checked by scripts/moto_suite.py: a failure not listed here, or a listed test that passes, fails CI.",
    ]
    either = {t for t, why in old.items() if why.startswith(EITHER)}
    for test_id in sorted({t for t, (status, _) in results.items() if status == "failed"} | either):
        lines.append(f"{test_id}  # {old.get(test_id) or reason_for(test_id, results[test_id][1])}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def run_suite(suite: Path, mode: str, against: str, data_dir: str) -> tuple[dict[str, tuple[str, str]], float]:
    junit = Path(data_dir) / "junit.xml"
    env = {
        **os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TESTS_SKIP_REQUIRES_DOCKER": "true",  # Lambda integration needs docker (moto_server too)
    }  # fmt: skip
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        env.pop(name, None)
    if against == "moto_forge":
        env["MOTO_FORGE_LEGACY_BUCKET_NAMES"] = "1"  # moto's tests use its permissive bucket names
    server = None
    options = ["-p", "no:moto_forge"]
    if mode == "server":
        port = free_port()
        server = start(against, data_dir, port)
        env.update(TEST_SERVER_MODE="true", TEST_SERVER_MODE_ENDPOINT=f"http://127.0.0.1:{port}")
    elif against == "moto_forge":
        options = ["--mock-aws-is-forge"]
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pytest", SUITE, "-q", "-p", "no:cacheprovider", *options, "-p", "no:randomly",
         "--color=no", f"--timeout={PER_TEST_TIMEOUT}", f"--junitxml={junit}", "-o", "addopts="],
        cwd=suite, env=env, stdout=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if server is not None:
        server.terminate()
        server.wait(timeout=30)
    return outcomes(junit), elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["server", "inprocess"], default="server")
    parser.add_argument("--against", choices=["moto_forge", "moto_server"], default="moto_forge")
    parser.add_argument("--update", action="store_true", help="rewrite the expected-failure list from this run")
    args = parser.parse_args(argv)
    suite = moto_tests()
    with tempfile.TemporaryDirectory() as data_dir:
        results, elapsed = run_suite(suite, args.mode, args.against, data_dir)
    counts = {status: sum(1 for s, _ in results.values() if s == status) for status in ("passed", "failed", "skipped")}
    print(
        f"moto {importlib.metadata.version('moto')} {SUITE} ({args.mode} mode) against {args.against}: "
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped in {elapsed:.0f} s"
    )
    if args.against == "moto_server":  # the baseline: what fails on moto itself, on this machine
        for test_id in sorted(t for t, (status, _) in results.items() if status == "failed"):
            print(f"FAILS ON MOTO TOO {test_id}: {results[test_id][1]}")
        return 0
    path = LISTS / f"{args.mode}-expected-failures.txt"
    expected = read_expected(path)
    if args.update:
        write_expected(path, args.mode, results, expected)
        print(f"wrote {path.relative_to(ROOT)}")
        return 0
    new = sorted(t for t, (s, _) in results.items() if s == "failed" and t not in expected)
    checked = {t for t, why in expected.items() if not why.startswith(EITHER)}
    fixed = sorted(t for t in checked if results.get(t, ("missing", ""))[0] == "passed")
    for test_id in new:
        print(f"NEW FAILURE {test_id}: {results[test_id][1]}")
    for test_id in fixed:
        print(f"NOW PASSES (take it off {path.name}) {test_id}")
    return 1 if new or fixed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
