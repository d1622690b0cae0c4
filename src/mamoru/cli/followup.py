"""`mamoru round`, `mamoru report followup`, `mamoru indicator`, `mamoru meeting` and `mamoru prefecture`:
the plan's yearly follow-up (`mamoru material` and `mamoru helpline` live in followup_publication.py)."""

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

round_app = typer.Typer(help="Reporting rounds of the plan's yearly follow-up.", no_args_is_help=True)
report_app = typer.Typer(help="Reports generated from mamoru's data.", no_args_is_help=True)
indicator_app = typer.Typer(help="Indicators the plan watches: definitions and values.", no_args_is_help=True)
meeting_app = typer.Typer(help="Meetings of the bodies that steer the plan, and their action items.", no_args_is_help=True)
prefecture_app = typer.Typer(help="Per-prefecture status of measures carried out by prefectures.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(round_app, name="round")
    app.add_typer(report_app, name="report")
    app.add_typer(indicator_app, name="indicator")
    app.add_typer(meeting_app, name="meeting")
    app.add_typer(prefecture_app, name="prefecture")
    from mamoru.cli import followup_publication, followup_record

    followup_publication.register(app)
    followup_record.register(round_app)


def _iso(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not an ISO 8601 date (YYYY-MM-DD)", 2)


@round_app.command("open")
def round_open(fy: list[int] = typer.Option(..., "--fy", help="Fiscal year covered, as the Gregorian year it starts "
                                             "(2024 = FY2024 = 令和6年度); repeat for a multi-year round."),
               due: str = typer.Option(..., "--due", help="Due date of the entries (ISO 8601)."),
               plan: str | None = typer.Option(None, "--plan", help="Plan key (default: the plan pages open on)."),
               as_user: str | None = AS_OPTION) -> None:
    """Open a round: one entry per measure and responsible agency; prints the round's id."""
    from mamoru.followup.rounds import open_round
    from mamoru.plan.service import get_plan

    due_on = _iso(due, "--due")
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        r = open_round(s, resolve_actor(s, as_user), fy, due_on, get_plan(s, plan))
        n = len(r.entries)
        rid = r.id
    err.print(f"round {rid} opened with {n} entries, due {due_on.isoformat()}")
    typer.echo(str(rid))


@round_app.command("list")
def round_list() -> None:
    """List rounds: id, fiscal years, state, due date."""
    from mamoru.followup.rounds import round_label, rounds, state_totals

    db = open_database(load_settings())
    with db.session() as s:
        for r in rounds(s):
            totals = state_totals(s, r)
            counts = " ".join(f"{k}={v}" for k, v in sorted(totals.items()))
            typer.echo(f"{r.id}\t{round_label(r, 'en')}\t{r.state}\tdue {r.due_on.isoformat()}\t{counts}")


@round_app.command("publish")
def round_publish(round_id: int = typer.Argument(..., help="The round's id."),
                  yes: bool = typer.Option(False, "--yes", "-y", help="Publish without asking (the summary is "
                                           "printed all the same)."),
                  fingerprint: str | None = typer.Option(None, "--fingerprint", help="Publish only if the entries "
                                                         "are as in the summary with this fingerprint (printed by an "
                                                         "earlier run or GET .../publication)."),
                  as_user: str | None = AS_OPTION) -> None:
    """Publish a round: it and its accepted entries appear on the public portal. Prints what will be
    published (accepted N of M entries, by agency, and the summary's fingerprint) and asks first, unless
    --yes; if an entry changed since that summary, nothing is published (exit 1) and the new summary is
    printed."""
    from mamoru.followup.rounds import get_round, publication_summary, publish_round

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        actor = resolve_actor(s, as_user)
        r = get_round(s, round_id)
        summary = publication_summary(s, r)
        err.print(f"round {round_id}: " + "\n".join(summary.lines()))
        if not yes and not typer.confirm(f"Publish round {round_id} with {summary.accepted} accepted entries?",
                                         err=True):
            fail("not published", 1)
        publish_round(s, actor, r, fingerprint or summary.fingerprint)
    err.print(f"round {round_id} published")


@round_app.command("export")
def round_export(round_id: int = typer.Argument(..., help="The round's id."),
                 fmt: str = typer.Option("xlsx", "--format", help="xlsx or csv."),
                 agency: str | None = typer.Option(None, "--agency", help="Only this agency's entries."),
                 output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of standard output.")) -> None:
    """Export a round's entries as XLSX or CSV (column entry_id keeps the stable id)."""
    from mamoru.followup import spreadsheet
    from mamoru.followup.rounds import get_round

    if fmt not in spreadsheet.FORMATS:
        fail(f"unknown format {fmt!r}; choose xlsx or csv", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        data = spreadsheet.write(spreadsheet.export_rows(s, get_round(s, round_id), agency), fmt)
    if output:
        output.write_bytes(data)
    elif fmt == "xlsx":
        fail("XLSX is binary: pass --output FILE", 2)
    else:
        write_stdout(data)


@round_app.command("import")
def round_import(round_id: int = typer.Argument(..., help="The round's id."),
                 file: Path = typer.Argument(..., help="An edited export (XLSX or CSV)."),
                 as_user: str | None = AS_OPTION) -> None:
    """Import an edited sheet: rows matched by entry_id; any conflict or bad cell and nothing is saved."""
    from mamoru.followup import spreadsheet
    from mamoru.followup.rounds import get_round

    if not file.is_file():
        fail(f"{file}: no such file", 2)
    fmt = "csv" if file.suffix.lower() == ".csv" else "xlsx"
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        rows = spreadsheet.read(file.read_bytes(), fmt)
        result = spreadsheet.import_rows(s, get_round(s, round_id), rows, resolve_actor(s, as_user))
    err.print(f"{len(result.changed)} entries changed, {result.unchanged} unchanged")


@report_app.command("followup")
def report_followup(round_id: int = typer.Option(..., "--round", help="The round's id."),
                    lang: str = typer.Option("ja", "--lang", help="ja or en."),
                    fmt: str = typer.Option("html", "--format", help="html, pdf or md."),
                    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of standard output.")) -> None:
    """Generate a round's follow-up report (a round not yet published is marked as a draft on every page)."""
    from mamoru.composition import live_providers
    from mamoru.followup.report import FORMATS, render
    from mamoru.followup.rounds import get_round

    if lang not in ("ja", "en"):
        fail(f"--lang {lang!r}: choose ja or en", 2)
    if fmt not in FORMATS:
        fail(f"--format {fmt!r}: choose html, pdf or md", 2)
    settings = load_settings()
    db = open_database(settings)
    with domain_errors(), db.session() as s:
        data = render(s, get_round(s, round_id), lang, fmt, live=live_providers(settings.role))
    if output:
        try:
            output.write_bytes(data)
        except OSError as exc:
            fail(f"cannot write the report to {output}: {exc.strerror or exc}", 1)
        err.print(f"report written to {output}")
    else:
        write_stdout(data)


@indicator_app.command("load")
def indicator_load(as_user: str | None = AS_OPTION) -> None:
    """Load the follow-up's shipped reference data (indicators with sourced values, WePROTECT framework,
    consultation services, bodies and meetings). Safe to run twice."""
    from mamoru.followup.reference import load_reference

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        added = load_reference(s, resolve_actor(s, as_user))
    err.print("added " + (", ".join(f"{n} {k}" for k, n in added.items()) if added else "nothing (already loaded)"))


@indicator_app.command("list")
def indicator_list() -> None:
    """List indicators: code, latest value and period, title."""
    from mamoru.composition import live_providers
    from mamoru.followup.indicators import indicators, series

    settings = load_settings()
    db = open_database(settings)
    live = live_providers(settings.role)
    with db.session() as s:
        for ind in indicators(s):
            pts = series(s, ind, live)
            last = f"{pts[-1].value:g} ({pts[-1].period}, {pts[-1].status})" if pts else "-"
            typer.echo(f"{ind.code}\t{last}\t{ind.title_en}")


@indicator_app.command("add")
def indicator_add(code: str = typer.Argument(..., help="Indicator code."),
                  period: str = typer.Option(..., "--period", help="2023, 2011-07 or FY2023."),
                  value: float = typer.Option(..., "--value"),
                  source: str = typer.Option(..., "--source", help="Where the value was published."),
                  status: str = typer.Option("final", "--status", help="provisional or final."),
                  published_on: str | None = typer.Option(None, "--published-on", help="ISO 8601 date."),
                  category: str = typer.Option("", "--category", help="Breakdown category (e.g. an age band)."),
                  as_user: str | None = AS_OPTION) -> None:
    """Enter a value; a value already entered for the period is superseded and kept."""
    from mamoru.followup.indicators import add_value, get_indicator

    day = _iso(published_on, "--published-on") if published_on else None
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        add_value(s, resolve_actor(s, as_user), get_indicator(s, code), period, value, status, source, day, category)
    err.print(f"{code} {period}: {value:g} ({status})")


@meeting_app.command("actions")
def meeting_actions(owner: str | None = typer.Option(None, "--owner", help="Only this owner agency's items (code)."),
                    overdue: bool = typer.Option(False, "--overdue", help="Only open items past their due date.")) -> None:
    """List action items by due date: id, due date, owner, state, measure, text (exit 1 when --overdue finds any)."""
    from mamoru.followup.meetings import action_items

    today = date.today()
    db = open_database(load_settings())
    with db.session() as s:
        items = action_items(s, owner, today if overdue else None)
        for a in items:
            state = "done" if a.done else ("overdue" if a.due_on and a.due_on < today else "open")
            typer.echo(f"{a.id}\t{a.due_on.isoformat() if a.due_on else '-'}\t{a.owner.code if a.owner else '-'}\t"
                       f"{state}\t{a.measure.uid if a.measure else '-'}\t{a.text_ja or a.text_en}")
        found = len(items)
    if overdue and found:
        raise typer.Exit(1)


@prefecture_app.command("set")
def prefecture_set(measure: str = typer.Argument(..., help="The measure's stable id."),
                   prefecture: str = typer.Argument(..., help="JIS code, 01 to 47."),
                   status: str = typer.Argument(..., help="done, in_progress, none or unknown."),
                   since: str | None = typer.Option(None, "--since", help="ISO 8601 date."),
                   note: str = typer.Option("", "--note"), as_user: str | None = AS_OPTION) -> None:
    """Record a prefecture's status on a measure (the plan office)."""
    from mamoru.followup.prefectures import set_status
    from mamoru.plan.service import get_measure

    day = _iso(since, "--since") if since else None
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        set_status(s, resolve_actor(s, as_user), get_measure(s, measure), prefecture, status, day, note)
    err.print(f"{measure} {prefecture.zfill(2)}: {status}")


@prefecture_app.command("publish")
def prefecture_publish(measure: str = typer.Argument(..., help="The measure's stable id."),
                       withdraw: bool = typer.Option(False, "--withdraw", help="Stop showing it to the public."),
                       as_user: str | None = AS_OPTION) -> None:
    """Show a measure's prefecture status on the public portal and API (or withdraw it)."""
    from mamoru.followup.prefectures import publish
    from mamoru.plan.service import get_measure

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        publish(s, resolve_actor(s, as_user), get_measure(s, measure), not withdraw)
    err.print(f"{measure}: prefecture status {'withdrawn from' if withdraw else 'published to'} the public")
