"""`mamoru plan`: load the shipped plan, import and export measure lists, amend a measure, record successions."""

from __future__ import annotations

from datetime import date
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

app = typer.Typer(help="The plan registry: load, import, export and amend measures.", no_args_is_help=True)


@app.command("load")
def load(as_user: str | None = AS_OPTION,
         file: Path | None = typer.Option(None, "--file", help="A plan data file instead of the shipped one.")) -> None:
    """Load the shipped Basic Plan (pillars, measures, agencies, timeline). Safe to run twice."""
    from mamoru.plan.loader import load_plan

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        try:
            result = load_plan(s, resolve_actor(s, as_user), file)
        except (ValueError, KeyError, OSError) as exc:
            fail(f"cannot load plan data: {exc}", 2)
    if result.total_added:
        added = ", ".join(f"{n} {k}" for k, n in result.added.items())
        err.print(f"plan data {result.data_version} loaded: added {added}")
    else:
        err.print(f"plan data {result.data_version} already loaded: nothing to add")


@app.command("import")
def import_(file: Path = typer.Argument(..., help="CSV, XLSX or YAML file of measures."),
            fmt: str | None = typer.Option(None, "--format", help="csv, xlsx or yaml (default: from the file name)."),
            plan: str | None = typer.Option(None, "--plan", help="Plan key (default: the plan pages open on)."),
            reason: str = typer.Option("import of the full measure list", "--reason", help="Reason recorded on each amendment."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Only print what the import would add, change "
                                         "and refuse (with each measure's lineage); import nothing."),
            as_user: str | None = AS_OPTION) -> None:
    """Import a full measure list, matched on stable ids; all rows or none (--dry-run: only say what
    it would do, as the web page's preview does).

    Columns: id, code, pillar, title_en, title_ja, description_en, description_ja, origin, main, \
agencies (codes in the plan's order, separated by ;), lead, lineage, predecessors, successions.

    successions: which agency succession applies to which of the row's agencies, as \
AGENCY=succession-key pairs separated by ; (for example MHLW=mhlw-children-to-cfa-2023; in YAML a \
mapping). Each agency must be among the row's agencies and be the succession's predecessor. A file \
without the column leaves recorded successions as they are; an empty cell clears them (docs/plan.md).
    """
    from mamoru.plan.import_preview import preview_import
    from mamoru.plan.io import detect_format, import_measures, read_rows
    from mamoru.plan.service import get_plan

    if not file.is_file():
        fail(f"{file}: no such file", 2)
    db = open_database(load_settings())
    with domain_errors():
        kind = detect_format(file, fmt)
        rows = read_rows(file.read_bytes(), kind)
        with db.session() as s:
            if dry_run:
                preview = preview_import(s, get_plan(s, plan), rows, resolve_actor(s, as_user), reason)
                for line in preview.lines():
                    typer.echo(line)
                raise typer.Exit(2 if preview.refused else 0)
            result = import_measures(s, get_plan(s, plan), rows, resolve_actor(s, as_user), reason)
    err.print(f"imported {len(rows)} rows: {len(result.created)} created, {len(result.amended)} amended, "
              f"{len(result.reassigned)} with new agencies, {len(result.successions)} with new successions, "
              f"{result.unchanged} unchanged")


@app.command("export")
def export(fmt: str = typer.Option("csv", "--format", help="csv, xlsx or yaml."),
           plan: str | None = typer.Option(None, "--plan", help="Plan key (default: the plan pages open on)."),
           output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of standard output.")) -> None:
    """Write the plan's measures: columns id, code, pillar, title_en, ..., agencies, lead, lineage, predecessors, successions."""
    from mamoru.plan.io import FORMATS, export_rows, write_rows
    from mamoru.plan.service import get_plan

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        data = write_rows(export_rows(s, get_plan(s, plan)), fmt)
    if output:
        output.write_bytes(data)
    elif fmt == "xlsx":
        fail("XLSX is binary: pass --output FILE", 2)
    else:
        write_stdout(data)


@app.command("amend")
def amend(measure_id: str = typer.Argument(..., help="The measure's stable id (e.g. bp17-3-02)."),
          reason: str = typer.Option(..., "--reason", help="Why the wording changes."),
          title_en: str | None = typer.Option(None, "--title-en"),
          title_ja: str | None = typer.Option(None, "--title-ja"),
          description_en: str | None = typer.Option(None, "--description-en"),
          description_ja: str | None = typer.Option(None, "--description-ja"),
          code: str | None = typer.Option(None, "--code"),
          origin: str | None = typer.Option(None, "--origin", help="third-comprehensive, other or unknown."),
          on: str | None = typer.Option(None, "--on", help="Date of the amendment (ISO 8601; default today)."),
          as_user: str | None = AS_OPTION) -> None:
    """Amend a measure's wording (plan office only), with a reason and a date."""
    from mamoru.plan.service import amend_measure, get_measure

    values = {k: v for k, v in dict(title_en=title_en, title_ja=title_ja, description_en=description_en,
                                     description_ja=description_ja, code=code, origin=origin).items() if v is not None}
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        fail(f"--on {on!r} is not an ISO date", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        changes = amend_measure(s, get_measure(s, measure_id), resolve_actor(s, as_user), values, reason, day)
    err.print(f"amended {measure_id}: {', '.join(changes) or 'nothing changed'}")


@app.command("succession")
def succession(measure_id: str = typer.Argument(..., help="The measure's stable id (e.g. bp17-4-03)."),
               agency: str = typer.Argument(..., help="Code of the agency the plan lists on the measure (e.g. MHLW)."),
               key: str | None = typer.Argument(None, help="Key of the agency succession (e.g. mhlw-children-to-cfa-2023)."),
               clear: bool = typer.Option(False, "--clear", help="Remove the succession recorded on this assignment."),
               reason: str = typer.Option(..., "--reason", help="Why the succession applies (or no longer does)."),
               as_user: str | None = AS_OPTION) -> None:
    """Record that an agency succession applies to one measure's assignment (plan office only).

    A succession can be partial (only MHLW's child-related measures moved to the Children and \
Families Agency), so it is recorded per measure: the measure keeps the agency as the plan wrote it, \
and reports roll up to the successor from the succession's date.
    """
    from mamoru.plan.service import get_measure
    from mamoru.plan.successions import set_succession

    if (key is not None) == clear:
        fail("give a succession key, or --clear (not both)", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        change = set_succession(s, get_measure(s, measure_id), agency, key, resolve_actor(s, as_user), reason)
    if change is None:
        err.print(f"{measure_id} {agency.upper()}: already so, nothing changed")
    else:
        err.print(f"{measure_id} {agency.upper()}: succession {change[0] or 'none'} -> {change[1] or 'none'}")
