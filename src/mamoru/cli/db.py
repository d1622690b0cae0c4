"""`mamoru db`: migrate the database and check that models and migrations agree."""

from __future__ import annotations

import typer

from mamoru.cli.common import err, load_settings, open_database

app = typer.Typer(help="Database schema: upgrade to the latest migrations, check for drift.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply every migration not yet applied (all domain branches)."""
    from mamoru.migrate import upgrade as do_upgrade

    db = open_database(load_settings())
    do_upgrade(db.engine)
    err.print("database is at the latest migration")


@app.command("check")
def check() -> None:
    """Exit 1 when the models and the migrations disagree, or the database is not migrated."""
    from mamoru.migrate import differences

    db = open_database(load_settings())
    problems = differences(db.engine)
    for p in problems:
        err.print(f"mamoru: {p}", markup=False)
    if problems:
        raise typer.Exit(1)
    err.print("models and migrations agree")
