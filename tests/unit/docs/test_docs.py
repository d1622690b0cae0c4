"""Documentation tests: the CLI reference matches --help, and every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from mamoru.config import SETTINGS_DOC

REPO = Path(__file__).resolve().parents[3]


def test_cli_reference_is_current() -> None:
    from mamoru.devtools.clidoc import render

    current = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render(), "docs/cli.md is out of date: run `make docs`"


def test_every_setting_is_documented() -> None:
    used: set[str] = set()
    for path in (REPO / "src" / "mamoru").rglob("*.py"):
        used |= set(re.findall(r"\bMAMORU_[A-Z0-9_]+\b", path.read_text(encoding="utf-8")))
    undocumented = sorted(used - set(SETTINGS_DOC))
    assert undocumented == [], f"add to SETTINGS_DOC in config.py: {undocumented}"
    page = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = sorted(k for k in SETTINGS_DOC if f"`{k}`" not in page)
    assert missing == [], f"document in docs/settings.md: {missing}"
