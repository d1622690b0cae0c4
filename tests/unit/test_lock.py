"""requirements.lock pins what the suite runs on: every distribution that mamoru and its test extra
need (followed through their own requirements) is pinned there, with hashes, at the version that is
installed here. So a dependency added to pyproject.toml without regenerating the lock
(scripts/lock.sh), or an environment that drifted from it, fails here."""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)."""
    out: dict[str, tuple[str, int]] = {}
    name = ""
    for line in LOCK.read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if pin:
            name = canonicalize_name(pin.group(1))
            out[name] = (pin.group(2), 0)
        elif "--hash=sha256:" in line and name:
            version, n = out[name]
            out[name] = (version, n + 1)
    return out


def _needed() -> set[str]:
    """mamoru[test] and everything it requires, transitively, under this interpreter's markers."""
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [("mamoru", frozenset({"test"}))]
    while todo:
        name, extras = todo.pop()
        for text in md.requires(name) or []:
            req = Requirement(text)
            if req.marker is not None and not any(
                    req.marker.evaluate({**default_environment(), "extra": e}) for e in (extras or {""})):
                continue
            dep = canonicalize_name(req.name)
            if dep not in seen:
                seen.add(dep)
                todo.append((dep, frozenset(req.extras)))
    return seen


def test_every_dependency_is_locked_with_hashes_at_the_installed_version() -> None:
    locked = _locked()
    problems = []
    for name in sorted(_needed()):
        installed = md.version(name)
        if name not in locked:
            problems.append(f"{name} {installed}: not in requirements.lock")
        elif locked[name][0] != installed:
            problems.append(f"{name}: locked {locked[name][0]}, installed {installed}")
        elif locked[name][1] == 0:
            problems.append(f"{name}: locked without a hash")
    assert not problems, "run scripts/lock.sh (pip-tools) and commit requirements.lock:\n" + "\n".join(problems)
