"""What every CLI command needs: settings, the database, the acting user, and clean failures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.config import Settings, from_env, setting
from mamoru.db import Database
from mamoru.errors import DomainError, InvalidInput

err = Console(stderr=True, highlight=False, soft_wrap=True)

AS_OPTION = typer.Option(None, "--as", help="Record this user as the one acting (in the audit log).")


@dataclass(frozen=True)
class CommandSecrets:
    """Passwords given to one command through the environment; read by that command alone, never
    part of Settings, so no process holds them after it started."""

    admin_password: str = setting("MAMORU_ADMIN_PASSWORD", "Password for the first administrator created by "
                                  "`mamoru setup` and `make run` (otherwise one is generated and printed once).")
    new_password: str = setting("MAMORU_NEW_PASSWORD", "Password for `mamoru user add` and `mamoru user passwd` "
                                "(otherwise prompted).")


def command_secrets() -> CommandSecrets:
    return from_env(CommandSecrets)


def load_settings() -> Settings:
    """The settings from the environment; a malformed value ends the command with exit code 2."""
    from mamoru.composition import load_settings as settings_of_role

    try:
        return settings_of_role()
    except ValueError as exc:
        fail(str(exc), 2)


def open_database(settings: Settings | None = None) -> Database:
    settings = settings or load_settings()
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        path = settings.database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return Database.from_url(settings.database_url)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"mamoru: {message}", markup=False)
    raise typer.Exit(code)


def resolve_actor(session: Session, as_username: str | None) -> User | None:
    """The user named by --as, or None for the command line itself. Unknown user: exit 2."""
    if as_username is None:
        return None
    from mamoru.auth.service import get_user

    user = get_user(session, as_username)
    if user is None:
        fail(f"no user {as_username!r} (--as)", 2)
    if not user.active:
        fail(f"user {as_username!r} is deactivated", 1)
    return user


@contextmanager
def domain_errors() -> Iterator[None]:
    """Translate service errors into a message on stderr and the contract's exit code."""
    try:
        yield
    except InvalidInput as exc:
        for p in exc.problems:
            err.print(f"mamoru: {p}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except DomainError as exc:
        fail(str(exc), exc.exit_code)
    except (DataError, OverflowError):  # an id beyond the column's range (2**31 on PostgreSQL): bad input
        fail("a value is out of the range the database can hold (an id that large does not exist)", 2)


def write_stdout(data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
