"""`mamoru plan`: load the shipped plan, import and export measure lists, amend a measure."""

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
            as_user: str | None = AS_OPTION) -> None:
    """Import a full measure list, matched on stable ids; all rows or none."""
    from mamoru.plan.io import detect_format, import_measures, read_rows
    from mamoru.plan.service import get_plan

    if not file.is_file():
        fail(f"{file}: no such file", 2)
    db = open_database(load_settings())
    with domain_errors():
        kind = detect_format(file, fmt)
        rows = read_rows(file.read_bytes(), kind)
        with db.session() as s:
            result = import_measures(s, get_plan(s, plan), rows, resolve_actor(s, as_user), reason)
    err.print(f"imported {len(rows)} rows: {len(result.created)} created, {len(result.amended)} amended, "
              f"{len(result.reassigned)} with new agencies, {result.unchanged} unchanged")


@app.command("export")
def export(fmt: str = typer.Option("csv", "--format", help="csv, xlsx or yaml."),
           plan: str | None = typer.Option(None, "--plan", help="Plan key (default: the plan pages open on)."),
           output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of standard output.")) -> None:
    """Write the plan's measures: columns id, code, pillar, title_en, title_ja, ..., origin, main, agencies, lead."""
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
