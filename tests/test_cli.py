"""The debug CLI, run once each as a real subprocess (the way users run it)."""

import json
import subprocess
import sys
from pathlib import Path

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
