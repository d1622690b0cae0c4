"""Generates docs/settings.md from the settings declarations, so the page never drifts from the code.

Run `python -m mamoru.devtools.settingsdoc > docs/settings.md` (or `make docs`); a test fails when
the file is out of date or when a MAMORU_* variable named in src/ is declared nowhere.
"""

from __future__ import annotations

from mamoru.cli.common import CommandSecrets
from mamoru.composition import all_settings_classes
from mamoru.config import Settings, declared, describe_default

INTRO = """\
mamoru reads its settings from environment variables when a process starts (never at import
time), parses each once and refuses a malformed value naming the variable. Every process reads the
core settings; a process receives the settings of a domain only when its role serves that domain
(see docs/security.md).

Generated from the settings classes by `python -m mamoru.devtools.settingsdoc`; do not edit by hand.
Paths in defaults are inside MAMORU_VAR_DIR."""


def groups() -> list[tuple[str, type]]:
    """Each documented settings class with its heading, in the order of the page."""
    found: list[tuple[str, type]] = [("Every process", Settings)]
    found += [(str(getattr(c, "domain_name", c.__name__)).capitalize(), c) for c in all_settings_classes()]
    found.append(("One command's secrets", CommandSecrets))
    return found


def declared_variables() -> list[str]:
    return [f.metadata["env"] for _, cls in groups() for f in declared(cls)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    parts = ["# Settings", "", INTRO, ""]
    for heading, cls in groups():
        parts += [f"## {heading}", "", f"`{cls.__module__}.{cls.__qualname__}`", "",
                  "| variable | default | meaning |", "|---|---|---|"]
        parts += [f"| `{f.metadata['env']}` | {_cell(describe_default(f))} | {_cell(f.metadata['doc'])} |"
                  for f in declared(cls)]
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
