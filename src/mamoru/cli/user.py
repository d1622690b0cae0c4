"""`mamoru user` and `mamoru token`: accounts and API tokens."""

from __future__ import annotations

import typer
from sqlalchemy import select

from mamoru.cli.common import (
    AS_OPTION,
    command_secrets,
    domain_errors,
    err,
    fail,
    load_settings,
    open_database,
    resolve_actor,
)

app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)


@app.command("add")
def add(username: str = typer.Argument(...),
        role: str = typer.Option(..., "--role", help="administrator, coordinator, agency_officer, auditor, analyst, senior_analyst, platform, subscriber."),
        agency: str | None = typer.Option(None, "--agency", help="Agency code, for agency officers."),
        display_name: str = typer.Option("", "--name", help="Display name."),
        email: str = typer.Option("", "--email"),
        as_user: str | None = AS_OPTION) -> None:
    """Create a user. Password from MAMORU_NEW_PASSWORD, else prompted. Existing username: exit 2."""
    from mamoru.auth.service import AuthError, create_user
    from mamoru.plan.service import agency_exists

    password = command_secrets().new_password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        creator = resolve_actor(s, as_user)
        try:
            user = create_user(s, username, role, password, agency_code=agency.upper() if agency else None,
                               created_by=creator, display_name=display_name, email=email,
                               known_agency=lambda code: agency_exists(s, code))
        except AuthError as exc:
            fail(str(exc), 2)
        err.print(f"created user {user.username} ({user.role}{', ' + user.agency_code if user.agency_code else ''})")


@app.command("list")
def list_() -> None:
    """List users as CSV: username, role, agency, active, created_by."""
    from mamoru.auth.models import User

    db = open_database(load_settings())
    with db.session() as s:
        typer.echo("username,role,agency,active,created_by")
        for u in s.scalars(select(User).order_by(User.username)):
            typer.echo(f"{u.username},{u.role},{u.agency_code or ''},{str(u.active).lower()},"
                       f"{u.created_by.username if u.created_by else ''}")


@app.command("passwd")
def passwd(username: str, as_user: str | None = AS_OPTION) -> None:
    """Set a user's password (from MAMORU_NEW_PASSWORD, else prompted)."""
    from mamoru.auth.service import get_user, set_password

    password = command_secrets().new_password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        user = get_user(s, username)
        if user is None:
            fail(f"no user {username!r}", 2)
        try:
            set_password(s, user, password, resolve_actor(s, as_user))
        except ValueError as exc:
            fail(str(exc), 2)
    err.print(f"password of {username} changed")


@app.command("deactivate")
def deactivate(username: str, as_user: str | None = AS_OPTION) -> None:
    """Deactivate a user and end their sessions (the account and its history stay)."""
    from mamoru.auth.service import get_user, set_active

    db = open_database(load_settings())
    with db.session() as s:
        user = get_user(s, username)
        if user is None:
            fail(f"no user {username!r}", 2)
        set_active(s, user, False, resolve_actor(s, as_user))
    err.print(f"{username} deactivated")


@token_app.command("create")
def token_create(username: str,
                 scopes: str = typer.Option(..., "--scopes", help="Comma-separated scopes, e.g. match or feed."),
                 name: str = typer.Option("cli", "--name", help="A name to recognise the token by."),
                 as_user: str | None = AS_OPTION) -> None:
    """Create an API token for a user and print it once on standard output."""
    from mamoru.auth.service import AuthError, get_user, issue_token

    db = open_database(load_settings())
    with db.session() as s:
        user = get_user(s, username)
        if user is None:
            fail(f"no user {username!r}", 2)
        try:
            secret = issue_token(s, user, name, [x.strip() for x in scopes.split(",") if x.strip()], resolve_actor(s, as_user))
        except AuthError as exc:
            fail(str(exc), 1 if exc.code == 403 else 2)
    typer.echo(secret)
    err.print("store this token now: it is not shown again")
