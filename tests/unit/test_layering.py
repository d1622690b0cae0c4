"""The declared direction between mamoru's parts (pyproject.toml [tool.importlinter], docs/architecture.md)
holds: `lint-imports` passes on the package, fails when a domain imports against the direction, and
every top-level module of the package has its place in the layers (a new one must be placed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _contract() -> dict:  # type: ignore[type-arg]
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return contract  # type: ignore[no-any-return]


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert LINT.exists(), "import-linter is not installed in the test environment (pip install -e '.[test]')"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_package_keeps_the_declared_direction() -> None:
    r = _lint(REPO / "src", REPO)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "1 kept, 0 broken" in r.stdout


def test_every_top_level_module_is_placed_in_the_layers() -> None:
    named = {m.strip() for layer in _contract()["layers"] for m in layer.replace("|", ":").split(":")}
    package = REPO / "src" / "mamoru"
    modules = {f"mamoru.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {f"mamoru.{p.name}" for p in package.iterdir() if (p / "__init__.py").exists()}
    assert modules - named == set(), "place these in pyproject.toml's import-linter layers"
    assert named - modules == set(), "the layers name modules that do not exist"


@pytest.mark.parametrize(("module", "line", "refusal"), [
    # a domain importing a door
    ("plan/service.py", "from mamoru.web import templating  # noqa", "mamoru.plan is not allowed to import mamoru.web"),
    # the follow-up reading the hotline's tables, even from inside a function
    ("followup/rounds.py", "from mamoru.hotline import models  # noqa",
     "mamoru.followup is not allowed to import mamoru.hotline"),
    # two independent domains
    ("blocklist/service.py", "from mamoru.matching import service as _m  # noqa",
     "mamoru.blocklist is not allowed to import mamoru.matching"),
])
def test_an_import_against_the_direction_fails(tmp_path: Path, module: str, line: str, refusal: str) -> None:
    copy = tmp_path / "src" / "mamoru"
    shutil.copytree(REPO / "src" / "mamoru", copy, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = copy / module
    target.write_text(target.read_text() + f"\n\ndef _against_the_direction() -> None:\n    {line}\n")
    r = _lint(tmp_path / "src", tmp_path)
    assert r.returncode == 1, r.stdout[-3000:]
    assert "0 kept, 1 broken" in r.stdout and refusal in " ".join(r.stdout.split()), r.stdout[-3000:]


def _imports_of_other_domains() -> dict[str, set[str]]:
    """For each domain, the modules of it that other domains import (inside functions too)."""
    import ast

    from mamoru.composition import DOMAINS

    names = {d.name for d in DOMAINS}
    package = REPO / "src" / "mamoru"
    used: dict[str, set[str]] = {n: set() for n in names}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).parts
        if len(parts) < 2 or parts[0] not in names:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mamoru."):
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                bits = target.split(".")
                if len(bits) >= 3 and bits[1] in names and bits[1] != parts[0] and (
                        (package / bits[1] / f"{bits[2]}.py").exists() or (package / bits[1] / bits[2]).is_dir()):
                    used[bits[1]].add(".".join(bits[:3]))
    return used


def test_a_domain_reaches_another_only_through_what_that_domain_offers() -> None:
    from mamoru.composition import DOMAINS

    used = _imports_of_other_domains()
    assert used["followup"] == {"mamoru.followup.figures"}  # the walk sees the hotline publishing its figures
    for setup in DOMAINS:
        assert used[setup.name] <= set(setup.offers), (
            f"{setup.name}: other domains import {sorted(used[setup.name] - set(setup.offers))}, which its setup "
            "does not offer (offer it in its setup.py, or go through what it offers)")
