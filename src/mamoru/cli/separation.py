"""`mamoru db roles`: the PostgreSQL users and grants that keep each process role to its own data.

Prints the SQL (one statement per line, each ending with a semicolon) for a database
administrator to review and run, or runs it with --apply against MAMORU_DATABASE_URL (connect as
the owner of the tables, with CREATEROLE while a role is still to be made). Before applying, it
checks both and names what is missing (exit 1, nothing applied). See mamoru.separation for what
each role may touch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from mamoru.cli.common import err, fail, load_settings, open_database, write_stdout

if TYPE_CHECKING:
    from sqlalchemy import Connection


def roles(
    prefix: str = typer.Option("mamoru", help="Role names are PREFIX_portal, PREFIX_office, and so on."),
    role: list[str] = typer.Option([], "--role", help="Only this process role (repeatable); default all."),
    apply: bool = typer.Option(False, "--apply", help="Run the SQL against the database instead of printing it."),
    drop: bool = typer.Option(False, "--drop", help="Remove the roles and their grants instead."),
) -> None:
    """Print (or apply) SQL making one PostgreSQL user per process role, with only its grants."""
    from mamoru.separation import drop_roles_sql, roles_sql

    try:
        statements = drop_roles_sql(prefix, role or None) if drop else roles_sql(prefix, role or None)
    except ValueError as e:
        fail(str(e), 2)
    if not apply:
        write_stdout("".join(f"{s};\n" for s in statements))
        return
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from mamoru.separation import PROCESS_GRANTS, role_name, tables_by_module

    db = open_database(load_settings())
    if db.engine.dialect.name != "postgresql":
        fail("database roles need PostgreSQL; on SQLite, separate processes by settings only", 2)
    users = [role_name(prefix, r) for r in (role or list(PROCESS_GRANTS))]
    tables = sorted({t for ts in tables_by_module().values() for t in ts})
    try:
        with db.engine.connect() as conn:
            missing = _missing_rights(conn, users, tables, drop)
    except DBAPIError as e:
        fail(f"cannot read the database's roles: {_first_line(e)}", 1)
    if missing:
        fail("; ".join(missing), 1)
    try:
        with db.engine.begin() as conn:
            for s in statements:
                conn.execute(text(s))
    except DBAPIError as e:  # nothing was applied: the transaction rolled back
        fail(f"nothing applied: {_first_line(e)}", 1)
    err.print(f"applied {len(statements)} statements")


def _first_line(e: Exception) -> str:
    orig = getattr(e, "orig", None) or e
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def _missing_rights(conn: Connection, users: list[str], tables: list[str], drop: bool) -> list[str]:
    """What the connected user lacks to run the statements: CREATEROLE (or superuser) when a role is
    still to be made or is to be dropped, and ownership of the tables it grants on."""
    from sqlalchemy import text

    me, superuser, createrole = conn.execute(text(
        "SELECT current_user, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")).one()
    if superuser:
        return []
    problems = []
    existing = set(conn.scalars(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:u)"), {"u": users}))
    needed = existing if drop else [u for u in users if u not in existing]
    if needed and not createrole:
        problems.append(f"the database user {me} may not {'drop' if drop else 'create'} roles "
                        f"({', '.join(sorted(needed))}): it needs CREATEROLE "
                        f"(ALTER ROLE {me} CREATEROLE, as a superuser), or run this as a user who has it")
    if not drop:
        foreign = list(conn.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(:t) "
            "AND tableowner <> current_user ORDER BY tablename"), {"t": tables}))
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            problems.append(f"the database user {me} does not own the tables {shown}: only their owner "
                            "can grant on them (connect as the owner, the user that ran the migrations)")
    return problems


def register(db_app: typer.Typer) -> None:
    db_app.command("roles")(roles)
