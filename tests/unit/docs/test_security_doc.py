"""docs/security.md names the test behind each protection; a renamed or deleted test must not leave
the page promising a check that no longer runs. Every `tests/...py::test_name` it names is a test
function of that file, every `tests/...` path it names exists, and every row of its issue 13 table
names at least one test function."""

from __future__ import annotations

import re

from tests.conftest import REPO

DOC = REPO / "docs" / "security.md"
NAMED = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
PATH = re.compile(r"(?<![\w/])(tests/[\w/.-]+\.(?:py|sh)|bench/[\w/.-]+\.(?:py|sh))")


def test_every_test_the_security_page_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = NAMED.findall(text)
    assert len(named) > 60
    missing = []
    for path, name in sorted(set(named)):
        source = REPO / path
        if not source.is_file() or not re.search(rf"^(async )?def {name}\(", source.read_text(encoding="utf-8"), re.M):
            missing.append(f"{path}::{name}")
    assert not missing, missing
    paths = {p for p in PATH.findall(text) if not (REPO / p).exists()}
    assert not paths, sorted(paths)


def test_every_protection_of_issue_13_names_a_test_function() -> None:
    section = DOC.read_text(encoding="utf-8").split("## Issue 13", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Protection")]
    assert len(rows) >= 25
    assert not [r[:80] for r in rows if not NAMED.search(r)]
