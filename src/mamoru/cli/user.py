"""`mamoru user` and `mamoru token`: accounts and API tokens."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

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
    write_stdout,
)
from mamoru.xlsx import csv_row

app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)


@app.command("add")
def add(username: str = typer.Argument(...),
        role: str = typer.Option(..., "--role", help="administrator, coordinator, agency_officer, auditor, analyst, senior_analyst, platform, subscriber."),
        agency: str | None = typer.Option(None, "--agency", help="Agency code, for agency officers."),
        display_name: str = typer.Option("", "--name", help="Display name."),
        email: str = typer.Option("", "--email"),
        lang: str = typer.Option("ja", "--lang", help="The language of the mails sent to the user: ja or en."),
        as_user: str | None = AS_OPTION) -> None:
    """Create a user. Password from MAMORU_NEW_PASSWORD, else prompted. Existing username or a
    refused value (such as --lang other than ja or en): exit 2."""
    from mamoru.auth.service import AuthError, check_lang, create_user
    from mamoru.plan.service import agency_exists

    try:
        check_lang(lang)  # before the password prompt: a typo in --lang asks for nothing
    except AuthError as exc:
        fail(f"--lang: {exc}", 2)
    password = command_secrets().new_password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        creator = resolve_actor(s, as_user)
        try:
            user = create_user(s, username, role, password, agency_code=agency.upper() if agency else None,
                               created_by=creator, display_name=display_name, email=email, preferred_lang=lang,
                               known_agency=lambda code: agency_exists(s, code))
        except AuthError as exc:
            fail(str(exc), 2)
        err.print(f"created user {user.username} ({user.role}{', ' + user.agency_code if user.agency_code else ''})")


@app.command("list")
def list_() -> None:
    """List users as CSV: username, role, agency, active, created_by, lang (the language of the
    mails sent to the user)."""
    from mamoru.auth.models import User

    db = open_database(load_settings())
    with db.session() as s:
        typer.echo("username,role,agency,active,created_by,lang")
        for u in s.scalars(select(User).order_by(User.username)):
            typer.echo(f"{u.username},{u.role},{u.agency_code or ''},{str(u.active).lower()},"
                       f"{u.created_by.username if u.created_by else ''},{u.preferred_lang}")


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


def _set_active(username: str, active: bool, as_user: str | None) -> None:
    from mamoru.auth.service import AuthError, get_user, set_active

    db = open_database(load_settings())
    with db.session() as s:
        user = get_user(s, username)
        if user is None:
            fail(f"no user {username!r}", 2)
        try:
            changed = set_active(s, user, active, resolve_actor(s, as_user))
        except AuthError as exc:
            fail(str(exc), 1)
    state = "activated" if active else "deactivated"
    err.print(f"{username} {state}" if changed else f"{username} was already {state}")


@app.command("deactivate")
def deactivate(username: str, as_user: str | None = AS_OPTION) -> None:
    """Deactivate a user: their sessions end and their API tokens are refused (the account and its
    history stay)."""
    _set_active(username, False, as_user)


@app.command("activate")
def activate(username: str, as_user: str | None = AS_OPTION) -> None:
    """Reactivate a deactivated user (their tokens work again unless revoked or expired)."""
    _set_active(username, True, as_user)


@app.command("edit")
def edit(username: str,
         role: str | None = typer.Option(None, "--role", help="A new role; another than agency_officer clears the agency."),
         agency: str | None = typer.Option(None, "--agency", help="Agency code, for agency officers ('' clears it)."),
         display_name: str | None = typer.Option(None, "--name", help="Display name."),
         email: str | None = typer.Option(None, "--email", help="One e-mail address ('' removes it)."),
         lang: str | None = typer.Option(None, "--lang", help="The language of the mails sent to the user: ja or en."),
         as_user: str | None = AS_OPTION) -> None:
    """Change a user's role, agency, display name, e-mail or language (only the options given);
    audited as user:edit with the old and new values. Unknown user or refused value: exit 2."""
    from mamoru.auth.service import AuthError, UserChange, edit_user, get_user
    from mamoru.plan.service import agency_exists

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        user = get_user(s, username)
        if user is None:
            fail(f"no user {username!r}", 2)
        try:
            changes = edit_user(s, user, UserChange(role=role, agency_code=agency, display_name=display_name,
                                                    email=email, preferred_lang=lang), resolve_actor(s, as_user),
                                known_agency=lambda code: agency_exists(s, code))
        except AuthError as exc:
            fail(str(exc), 2)
    err.print(f"{username}: " + (", ".join(f"{f} {old!r} -> {new!r}" for f, (old, new) in changes.items())
                                 if changes else "nothing changed"))


@token_app.command("create")
def token_create(username: str,
                 scopes: str = typer.Option(..., "--scopes", help="Comma-separated scopes, e.g. match or feed."),
                 name: str = typer.Option("cli", "--name", help="A name to recognise the token by."),
                 expires_in_days: int | None = typer.Option(
                     None, "--expires-in-days", help="Days until the token expires (1 to 3650; default: never)."),
                 as_user: str | None = AS_OPTION) -> None:
    """Create an API token for a user and print it once on standard output."""
    from mamoru.auth.service import AuthError, create_token, get_user

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        user = get_user(s, username)
        if user is None:
            fail(f"no user {username!r}", 2)
        try:
            new = create_token(s, user, name, scopes.split(","), actor=resolve_actor(s, as_user),
                               expires_in_days=expires_in_days)
        except AuthError as exc:
            fail(str(exc), 2)
        token_id, expires_at = new.token.id, new.token.expires_at
    typer.echo(new.secret)
    err.print(f"token {token_id} created for {username}"
              + (f", expires {iso_utc(expires_at)}" if expires_at else ", no expiry"), markup=False)
    err.print("store this token now: it is not shown again")


TOKEN_CSV_HEADER = ("id", "name", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")


def iso_utc(value: datetime | None) -> str:
    """ISO 8601 in UTC with a Z (2026-12-02T06:04:05Z), or "" for no time."""
    if value is None:
        return ""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@token_app.command("list")
def token_list(username: str, as_user: str | None = AS_OPTION) -> None:
    """List a user's API tokens as CSV on standard output.

    UTF-8 without a BOM; columns id, name, scopes (separated by spaces), created_at, expires_at,
    last_used_at, revoked_at (ISO 8601 in UTC, empty for none). Secrets are never shown."""
    from mamoru.auth.service import get_user, list_tokens

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        user = get_user(s, username)
        if user is None:
            fail(f"no user {username!r}", 2)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(TOKEN_CSV_HEADER)
        for t in list_tokens(s, user, resolve_actor(s, as_user)):
            w.writerow(csv_row([t.id, t.name, " ".join(t.scopes or []), iso_utc(t.created_at),
                                iso_utc(t.expires_at), iso_utc(t.last_used_at), iso_utc(t.revoked_at)]))
    write_stdout(buf.getvalue())


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., metavar="ID", help="The token's id (`mamoru token list`)."),
                 as_user: str | None = AS_OPTION) -> None:
    """Revoke an API token at once (it then gets 401 everywhere). Unknown id: exit 2."""
    from mamoru.auth.models import ApiToken
    from mamoru.auth.service import revoke_token_by_id

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        existing = s.get(ApiToken, token_id)
        already = existing.revoked_at if existing is not None else None
        token = revoke_token_by_id(s, token_id, resolve_actor(s, as_user))
        owner, name = token.user.username, token.name
    if already is not None:
        err.print(f"token {token_id} ({name}) of {owner} was already revoked at {iso_utc(already)}", markup=False)
    else:
        err.print(f"token {token_id} ({name}) of {owner} revoked", markup=False)
