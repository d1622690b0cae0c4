"""Generates docs/cli.md from the commands' --help, so the reference never drifts from the code.

Run `python -m mamoru.devtools.clidoc > docs/cli.md` (or `make docs`); a test fails when the file
is out of date.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.testing import CliRunner

from mamoru.cli.app import app

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}


def _walk(cmd: Any, path: list[str]) -> list[list[str]]:
    out = [path]
    if hasattr(cmd, "commands"):
        for name in sorted(cmd.commands):
            out.extend(_walk(cmd.commands[name], path + [name]))
    return out


def help_text(path: list[str]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env=ENV, terminal_width=100)
    text = result.output
    return re.sub(r"[ \t]+\n", "\n", text).strip("\n")


def render() -> str:
    root = typer.main.get_command(app)
    parts = ["# Command-line reference", "",
             "Generated from `--help` by `python -m mamoru.devtools.clidoc`; do not edit by hand.", ""]
    for path in _walk(root, []):
        parts += [f"## `{' '.join(['mamoru', *path])}`", "", "```", help_text(path), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
