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
    from mamoru.cli import followup_alignment, followup_publication, followup_record

    followup_alignment.register(app)
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


@round_app.command("extend")
def round_extend(round_id: int = typer.Argument(..., help="The round's id."),
                 due: str = typer.Option(..., "--due", help="The new due date (ISO 8601), later than the current one."),
                 reason: str = typer.Option(..., "--reason", help="Why the due date moves (kept and shown)."),
                 as_user: str | None = AS_OPTION) -> None:
    """Extend an open round's due date, with a reason: entries due on the old date are due on the new one."""
    from mamoru.followup.rounds import extend_due_date, get_round

    due_on = _iso(due, "--due")
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        ext = extend_due_date(s, resolve_actor(s, as_user), get_round(s, round_id), due_on, reason)
        before = ext.due_before.isoformat()
    err.print(f"round {round_id}: due {before} -> {due_on.isoformat()}")


@round_app.command("remind")
def round_remind() -> None:
    """Send the reminders due now (what the background worker does each round): officers with entries
    still to submit, MAMORU_FOLLOWUP_REMINDER_DAYS before the due date and once it has passed; each
    kind once per officer and round, each in its officer's language."""
    from mamoru.followup.reminders import send_reminders
    from mamoru.followup.settings import FollowupSettings
    from mamoru.mail import mailer_from_settings

    settings = load_settings()
    db = open_database(settings)
    with domain_errors(), db.session() as s:
        done = send_reminders(s, mailer_from_settings(settings), settings.domain(FollowupSettings).reminder_days)
    err.print(done.line())
    if done.failed:
        raise typer.Exit(1)


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
                  period: str = typer.Option(..., "--period", help="In the indicator's periodicity: 2023, FY2023 or 2011-07."),
                  value: float = typer.Option(..., "--value", help="In the indicator's range (a count: whole, 0 or more; "
                                                                   "a percentage: 0 to 100)."),
                  source: str = typer.Option(..., "--source", help="Where the value was published."),
                  status: str = typer.Option("final", "--status", help="provisional or final."),
                  published_on: str | None = typer.Option(None, "--published-on", help="ISO 8601 date."),
                  category: str = typer.Option("", "--category", help="Breakdown key (age:elementary, prefecture:13)."),
                  corrects: int | None = typer.Option(None, "--corrects", help="The published value (its no.) this "
                                                                               "one corrects."),
                  note: str = typer.Option("", "--note"),
                  as_user: str | None = AS_OPTION) -> None:
    """Enter a value as a draft (prints its no.): public once another person of the plan office approves it
    (`mamoru indicator approve`). Bad input exits 2 with every problem named."""
    from mamoru.followup.indicator_values import add_value
    from mamoru.followup.indicators import get_indicator

    day = _iso(published_on, "--published-on") if published_on else None
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        v = add_value(s, resolve_actor(s, as_user), get_indicator(s, code), period, value, status, source, day,
                      category, note, corrects)
        s.commit()
        typer.echo(v.id)
    err.print(f"{code} {period}: {value:g} ({status}), draft no. {v.id}: waiting for approval")


@indicator_app.command("values")
def indicator_values(code: str = typer.Argument(..., help="Indicator code.")) -> None:
    """Every value of an indicator with its review: no., period, category, value, status, review, entered by."""
    from mamoru.followup.indicators import get_indicator

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        for v in sorted(get_indicator(s, code).values, key=lambda v: (v.period, v.category, v.id)):
            extra = f"superseded by {v.superseded_by_id}" if v.superseded_by_id else v.withdrawn_reason
            typer.echo(f"{v.id}\t{v.period}\t{v.category or '-'}\t{v.value:g}\t{v.status}\t{v.review}\t"
                       f"{v.entered_by}\t{extra}")


@indicator_app.command("approve")
def indicator_approve(code: str = typer.Argument(..., help="Indicator code."),
                      value_id: int = typer.Argument(..., help="The value's no. (from `mamoru indicator values`)."),
                      as_user: str = typer.Option(..., "--as", help="The plan-office user approving (not the one "
                                                                    "who entered it).")) -> None:
    """Approve a draft value: it is public from now on."""
    from mamoru.followup.indicator_values import approve_value, get_value
    from mamoru.followup.indicators import get_indicator

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        ind = get_indicator(s, code)
        approve_value(s, resolve_actor(s, as_user), ind, get_value(s, ind, value_id))
        s.commit()
    err.print(f"{code}: value no. {value_id} approved and public")


@indicator_app.command("withdraw")
def indicator_withdraw(code: str = typer.Argument(..., help="Indicator code."),
                       value_id: int = typer.Argument(..., help="The value's no."),
                       reason: str = typer.Option(..., "--reason", help="Why it is withdrawn (kept; noted publicly "
                                                                        "when the value was published)."),
                       as_user: str | None = AS_OPTION) -> None:
    """Withdraw a value, draft or published, with its reason; it stays in the history."""
    from mamoru.followup.indicator_values import get_value, withdraw_value
    from mamoru.followup.indicators import get_indicator

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        ind = get_indicator(s, code)
        withdraw_value(s, resolve_actor(s, as_user), ind, get_value(s, ind, value_id), reason)
        s.commit()
    err.print(f"{code}: value no. {value_id} withdrawn")

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


@meeting_app.command("decision")
def meeting_decision(meeting_id: int = typer.Argument(..., help="The meeting's id."),
                     kind: str = typer.Option("other", "--kind", help="adopt_plan, approve_round_report, "
                                              "amend_founding_decision or other."),
                     text_ja: str = typer.Option("", "--text-ja", help="What was decided, in Japanese."),
                     text_en: str = typer.Option("", "--text-en", help="What was decided, in English."),
                     round_id: int | None = typer.Option(None, "--round", help="The round whose report was approved."),
                     as_user: str | None = AS_OPTION) -> None:
    """Record a decision of a meeting (its text in at least one language); prints its id."""
    from mamoru.followup import meetings

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        d = meetings.add_decision(s, resolve_actor(s, as_user), meetings.get_meeting(s, meeting_id), kind, text_en,
                                  text_ja, round_id)
        did = d.id
    typer.echo(str(did))


@meeting_app.command("action")
def meeting_action(meeting_id: int = typer.Argument(..., help="The meeting's id."),
                   text_ja: str = typer.Option("", "--text-ja", help="What is to be done, in Japanese."),
                   text_en: str = typer.Option("", "--text-en", help="What is to be done, in English."),
                   measure: str | None = typer.Option(None, "--measure", help="Stable id of the measure it serves."),
                   owner: str | None = typer.Option(None, "--owner", help="Owner agency's code."),
                   due: str | None = typer.Option(None, "--due", help="Due date (ISO 8601)."),
                   as_user: str | None = AS_OPTION) -> None:
    """Record an action item (its text, and an owner agency or a due date); prints its id."""
    from mamoru.followup import meetings

    due_on = _iso(due, "--due") if due else None
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        a = meetings.add_action(s, resolve_actor(s, as_user), meetings.get_meeting(s, meeting_id), text_en, text_ja,
                                measure, owner, due_on)
        aid = a.id
    typer.echo(str(aid))


@meeting_app.command("withdraw")
def meeting_withdraw(meeting_id: int = typer.Argument(..., help="The meeting's id."),
                     decision: int | None = typer.Option(None, "--decision", help="The decision's id."),
                     action: int | None = typer.Option(None, "--action", help="The action item's id."),
                     reason: str = typer.Option(..., "--reason", help="Why it is withdrawn (kept in the corrections)."),
                     as_user: str | None = AS_OPTION) -> None:
    """Withdraw a mistaken decision or action item: kept, marked withdrawn, the reason in the corrections."""
    from mamoru.followup import meeting_corrections as corrections
    from mamoru.followup import meetings

    if (decision is None) == (action is None):
        fail("name one of --decision ID or --action ID", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        actor, m = resolve_actor(s, as_user), meetings.get_meeting(s, meeting_id)
        if decision is not None:
            corrections.withdraw_decision(s, actor, m, corrections.get_decision(s, m, decision), reason)
        else:
            corrections.withdraw_action(s, actor, m, corrections.get_action_of(s, m, action or 0), reason)
    err.print(f"meeting {meeting_id}: {'decision' if decision is not None else 'action item'} "
              f"{decision if decision is not None else action} withdrawn")


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
