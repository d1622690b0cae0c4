"""Documentation tests: the CLI reference matches --help, the settings page matches the settings
classes, and every MAMORU_* variable named in the code is declared in one of them."""

from __future__ import annotations

import re
from pathlib import Path

from mamoru.devtools.settingsdoc import declared_variables

REPO = Path(__file__).resolve().parents[3]


def test_cli_reference_is_current() -> None:
    from mamoru.devtools.clidoc import render

    current = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render(), "docs/cli.md is out of date: run `make docs`"


def test_settings_reference_is_current() -> None:
    from mamoru.devtools.settingsdoc import render

    current = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert current == render(), "docs/settings.md is out of date: run `make docs`"


def test_every_variable_named_in_the_code_is_declared_once() -> None:
    names = declared_variables()
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
    used: set[str] = set()
    for path in (REPO / "src" / "mamoru").rglob("*.py"):
        used |= set(re.findall(r"\bMAMORU_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    undeclared = sorted(used - set(names))
    assert undeclared == [], f"declare with config.setting() in a settings class: {undeclared}"
