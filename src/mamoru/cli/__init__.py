"""The `mamoru` command: one Typer sub-application per domain (composed in `mamoru.cli.app`).

Commands only translate arguments into a service call and a result into output; results go to
standard output, messages to standard error. Exit codes: 0 success, 1 a check found a problem or a
request was refused, 2 bad usage or input.

`mamoru hash` runs where the images are (a platform's upload pipeline may call it once per file), so
it starts without importing the rest of mamoru (database, web, PDF: 0.9 s of imports): `main`
builds a one-command app for it. `mamoru.cli.app` (the whole command) is imported on first use.
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["hash"]:
        import typer

        from mamoru.cli.hashing import hash_command

        alone = typer.Typer(add_completion=False)
        alone.command(help=hash_command.__doc__)(hash_command)
        alone(args=argv[1:], prog_name="mamoru hash")
        return
    from mamoru.cli.app import app

    app()


def __getattr__(name: str) -> Any:
    if name == "app":
        from mamoru.cli.app import app

        return app
    raise AttributeError(f"module 'mamoru.cli' has no attribute {name!r}")
