"""`mamoru db`: migrate the database and check that models and migrations agree."""

from __future__ import annotations

from pathlib import Path

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


@app.command("dump")
def dump_cmd(file: Path = typer.Argument(..., help="Where to write (a .gz name compresses).")) -> None:
    """Write every table to a portable file (JSON lines) that `mamoru db restore` loads."""
    from mamoru.backup import dump

    db = open_database(load_settings())
    counts = dump(db.engine, file)
    err.print(f"dumped {sum(counts.values())} rows from {len(counts)} tables to {file}")


@app.command("restore")
def restore_cmd(file: Path = typer.Argument(..., help="A file written by `mamoru db dump`.")) -> None:
    """Load a dump into an empty database migrated to the same version (SQLite or PostgreSQL)."""
    from mamoru.backup import restore
    from mamoru.cli.common import domain_errors, fail

    if not file.is_file():
        fail(f"{file}: no such file", 2)
    db = open_database(load_settings())
    with domain_errors():
        counts = restore(db.engine, file)
    err.print(f"restored {sum(counts.values())} rows into {len(counts)} tables")
