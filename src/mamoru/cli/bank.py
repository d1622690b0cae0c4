"""`mamoru bank`: create hash banks, import and export their entries, disable, choose, snapshot."""

from __future__ import annotations

from pathlib import Path

import typer

from mamoru.cli.common import (
    AS_OPTION,
    domain_errors,
    err,
    fail,
    load_settings,
    open_database,
    resolve_actor,
    write_stdout,
)

app = typer.Typer(help="Hash banks: create, import, export, disable entries, platforms' choices.",
                  no_args_is_help=True)


@app.command("create")
def create(name: str = typer.Argument(..., help="The bank's name."),
           description: str = typer.Option("", "--description", help="What the bank holds."),
           owner: str = typer.Option("", "--owner", help="Owner organisation."),
           source: str = typer.Option("own_hotline", "--source",
                                      help="own_hotline, partner or imported."),
           as_user: str | None = AS_OPTION) -> None:
    """Create an empty hash bank."""
    from mamoru.matching.service import create_bank

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        bank = create_bank(s, name, resolve_actor(s, as_user), description, owner, source)
        err.print(f"bank {bank.name!r} created")


@app.command("import")
def import_(name: str = typer.Argument(..., help="The bank to add to."),
            file: Path = typer.Argument(..., help="The file of hashes."),
            fmt: str = typer.Option(..., "--format", help="lines, csv, te or vic."),
            signal: str = typer.Option("pdq", "--signal",
                                       help="Signal type of a lines file (pdq, md5, sha1, sha256)."),
            as_user: str | None = AS_OPTION) -> None:
    """Import hashes into a bank: every line is checked first; one bad line refuses the file."""
    from mamoru.matching.service import import_file

    if not file.is_file():
        fail(f"{file}: no such file", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        result = import_file(s, name, file.read_bytes(), fmt, signal, resolve_actor(s, as_user))
    already = f" ({result.already} already in the bank, not added again)" if result.already else ""
    err.print(f"imported {result.imported} entries into {name!r}{already}")


@app.command("export")
def export(name: str = typer.Argument(..., help="The bank to export."),
           fmt: str = typer.Option("csv", "--format", help="lines, csv, te or vic."),
           signal: str | None = typer.Option(None, "--signal", help="Only this signal type."),
           as_user: str | None = AS_OPTION) -> None:
    """Write a bank's entries to standard output (disabled ones only in CSV, marked)."""
    from mamoru import audit
    from mamoru.matching.service import export_bank

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        text = export_bank(s, name, fmt, signal)
        audit.record_read(s, resolve_actor(s, as_user), "match:bank:export", f"hash_bank:{name}",
                          {"format": fmt})
    write_stdout(text)


@app.command("list")
def list_() -> None:
    """Banks with their owner, source and number of live entries."""
    from mamoru.matching.service import list_banks

    db = open_database(load_settings())
    with db.session() as s:
        lines = [f"{b.name}\t{b.source}\t{b.owner_organisation}\t{n}" for b, n in list_banks(s)]
    write_stdout("name\tsource\towner\tentries\n" + "".join(line + "\n" for line in lines))


def _set_disabled(entry_id: int, disabled: bool, reason: str, as_user: str | None) -> None:
    from mamoru.matching.service import set_entry_disabled

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        set_entry_disabled(s, entry_id, disabled, resolve_actor(s, as_user), reason)
    err.print(f"entry {entry_id} {'disabled' if disabled else 'enabled'}")


@app.command("disable")
def disable(entry_id: int = typer.Argument(..., help="Entry id."),
            reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
            as_user: str | None = AS_OPTION) -> None:
    """Stop matching an entry (it is kept, and can be enabled again)."""
    _set_disabled(entry_id, True, reason, as_user)


@app.command("enable")
def enable(entry_id: int = typer.Argument(..., help="Entry id."),
           as_user: str | None = AS_OPTION) -> None:
    """Match a disabled entry again."""
    _set_disabled(entry_id, False, "", as_user)


@app.command("choose")
def choose(platform: str = typer.Argument(..., help="Username of the platform account."),
           banks: list[str] = typer.Argument(..., help="Bank names (replaces the current choice)."),
           labels: bool = typer.Option(False, "--labels/--no-labels",
                                       help="Whether the platform sees category labels."),
           as_user: str | None = AS_OPTION) -> None:
    """Set which banks a platform matches against."""
    from mamoru.auth.service import get_user
    from mamoru.matching.service import choose_banks

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        user = get_user(s, platform)
        if user is None:
            fail(f"no user {platform!r}", 2)
        choose_banks(s, user, banks, labels, resolve_actor(s, as_user))
    err.print(f"{platform} matches against {', '.join(banks)}")


@app.command("snapshot")
def snapshot(force: bool = typer.Option(False, "--force", help="Build even if current.")) -> None:
    """Build the index snapshot that matchers load (nothing to do when it is current)."""
    from mamoru.matching.runtime import build_snapshot
    from mamoru.matching.settings import MatchingSettings

    settings = load_settings()
    db = open_database(settings)
    with db.session() as s:
        rec = build_snapshot(s, settings.domain(MatchingSettings).snapshot_dir, force)
        err.print(f"snapshot version {rec.version}: {rec.pdq_count} PDQ hashes, "
                  f"{rec.exact_count} digests ({rec.file_name})")
