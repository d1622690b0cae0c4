"""STYLE.md asks for ruff and mypy in strict mode in CI: both run here, on the package, the tests and
the fuzz harnesses (ruff) and on the package (mypy --strict, configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command", [["ruff", "check", "src", "tests", "fuzz"], ["mypy"]], ids=["ruff", "mypy"])
def test_static_checks_pass(command: list[str], tmp_path: Path) -> None:
    tool = BIN / command[0]
    assert tool.exists(), f"{command[0]} is not installed in the test environment (pip install -e '.[test]')"
    extra = ["--cache-dir", str(tmp_path / "cache")] if command[0] == "mypy" else ["--no-cache"]
    r = subprocess.run([str(tool), *command[1:], *extra], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]
