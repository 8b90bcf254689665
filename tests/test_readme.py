"""The README's Python examples run as tests (a block starting ``# test_*.py`` runs under pytest)."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


def test_readme_examples_run(tmp_path: Path) -> None:
    for n, block in enumerate(BLOCKS):
        first = block.splitlines()[0]
        if first.startswith("# test_") and first.endswith(".py"):
            path = tmp_path / first[2:]
            path.write_text(block)
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)]
        else:
            path = tmp_path / f"example_{n}.py"
            path.write_text(block)
            command = [sys.executable, str(path)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert result.returncode == 0, f"README example {n} failed:\n{block}\n{result.stdout}\n{result.stderr}"


def test_the_license_file_is_the_one_pyproject_names() -> None:
    root = Path(__file__).resolve().parents[1]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["license"]
    text = (root / "LICENSE").read_text()
    assert declared == "Apache-2.0" and "Apache License" in text and "Version 2.0, January 2004" in text
