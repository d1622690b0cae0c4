"""`mamoru db roles`: the PostgreSQL users and grants that keep each process role to its own data.

Prints the SQL (one statement per line, each ending with a semicolon) for a database
administrator to review and run, or runs it with --apply against MAMORU_DATABASE_URL (connect as
the owner of the tables). See mamoru.separation for what each role may touch.
"""

from __future__ import annotations

import typer

from mamoru.cli.common import err, fail, load_settings, open_database, write_stdout


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

    db = open_database(load_settings())
    if db.engine.dialect.name != "postgresql":
        fail("database roles need PostgreSQL; on SQLite, separate processes by settings only", 2)
    with db.engine.begin() as conn:
        for s in statements:
            conn.execute(text(s))
    err.print(f"applied {len(statements)} statements")


def register(db_app: typer.Typer) -> None:
    db_app.command("roles")(roles)
