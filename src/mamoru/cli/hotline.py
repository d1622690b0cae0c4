"""`mamoru hotline`: the scheduled worker and the inbox, IP-range and provider data, partner CSV
import, referral exports, figures, and reporters' contacts (keys, sealing, purge after the retention
period)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from mamoru.hotline.contacts import SealSummary


app = typer.Typer(help="The hotline: reports, assessment, referral, deletion requests and removal checks.",
                  no_args_is_help=True)


@app.command("work")
def work(once: bool = typer.Option(False, "--once", help="Do what is due now, then exit."),
         interval: float = typer.Option(60.0, "--interval", help="Seconds between rounds when not --once.")) -> None:
    """Run the scheduled work: inbox, police alerts, deletion requests and re-sends, escalation, removal checks, contact purge.

    URL entries on the blocking list whose content a removal check verified as removed leave the
    list (as `mamoru blocklist sync-removed` does), on the first round and whenever a round finds
    content removed; host and domain entries of such cases become due for review.

    Every round first drains the inbox (reports from the public intake process and platforms' match
    reports become reports and cases, as drain-inbox does). Reporters' contacts older than MAMORU_HOTLINE_CONTACT_RETENTION_DAYS are cleared every round; on
    start, contacts stored in plain text or under a retired key are sealed (as seal-contacts does).
    Cases the police hold are never touched. Several workers may run at once on PostgreSQL.
    """
    from mamoru.hotline.automation import run_due
    from mamoru.hotline.contacts import seal_stored
    from mamoru.hotline.runtime import build

    settings = load_settings()
    db = open_database(settings)
    rt = build(settings, db)
    with db.session() as session:
        _print_sealed(seal_stored(session, rt.contacts))
    first = True
    while True:
        s = run_due(db, rt.settings, rt.mailer, rt.checker, catch_up=first)
        first = False
        err.print(f"inbox reports stored {s.drained}, alerts {s.alerts}, deletion requests {s.notices}, checks {s.checks} "
                  f"(removed {s.removed}, reappeared {s.reappeared}), failures {s.failures}, "
                  f"contacts purged {s.contacts_purged}, blocking-list entries taken off {s.delisted} "
                  f"(host and domain entries due for review {s.to_review}), indicator values published {s.figures}")
        if once:
            return
        time.sleep(interval)


def _print_sealed(summary: SealSummary) -> None:
    err.print(f"contacts sealed {summary.sealed}, re-sealed with the current key {summary.resealed}, "
              f"unreadable (key not in the key file) {summary.unreadable}")


@app.command("drain-inbox")
def drain_inbox() -> None:
    """Store the reports waiting in the inbox now, then exit (the worker does this every round).

    Reports taken by the public intake process (MAMORU_ROLE=intake) and platforms' match reports wait
    in the inbox; each becomes a report and case with the receipt its reporter was given, and leaves
    the inbox in the same transaction. A child possibly in immediate danger: the police are alerted.
    Exits 1 when a row could not be stored (it stays in the inbox; the log says why).
    """
    from mamoru.hotline.inbox import drain
    from mamoru.hotline.mail import mailer_from_settings
    from mamoru.hotline.settings import HotlineSettings

    settings = load_settings()
    hs = settings.domain(HotlineSettings)
    s = drain(open_database(settings), hs, mailer_from_settings(hs))
    err.print(f"inbox reports stored {s.drained}, police alerts {s.alerts}, failures {s.failures}")
    if s.failures:
        raise typer.Exit(1)


@app.command("contact-key")
def contact_key(rotate: bool = typer.Option(False, "--rotate", help="Put a new X25519 key first (it seals from now on); "
                                                                     "the older keys stay to open what they sealed."),
                public_out: Path | None = typer.Option(None, "--public-out", help="Write the public key file the "
                                                       "intake process seals with (MAMORU_HOTLINE_CONTACT_PUBLIC_KEY).")) -> None:
    """Show the reporters' contact key in use; rotate it; write the public key for the intake process.

    Reads MAMORU_HOTLINE_CONTACT_KEY (created if missing) on a hotline host and prints the public
    key line (`x25519-public:...`) of the key that seals; copy it, or the --public-out file, to the
    intake host. After --rotate, run seal-contacts (or restart the worker) to re-seal stored
    contacts, and give the intake the new public key.
    """
    from mamoru.hotline.contact_keys import cipher_for_role, write_private
    from mamoru.hotline.settings import HotlineSettings

    settings = load_settings()
    path = settings.domain(HotlineSettings).contact_key_path or settings.var_dir / "keys" / "contact.key"
    try:
        cipher = cipher_for_role(settings.role, path)
        if rotate:
            header = [ln for ln in path.read_text().splitlines() if ln.startswith("#")]
            cipher = cipher.rotated()
            write_private(path, "\n".join([*header, *(k.line() for k in cipher.keys)]) + "\n")
        line = cipher.public_line()
    except (PermissionError, ValueError) as exc:
        fail(str(exc))
    if public_out is not None:
        public_out.parent.mkdir(parents=True, exist_ok=True)
        public_out.write_text(f"# mamoru reporters' contact public key {cipher.key_id}\n{line}\n")
    typer.echo(line)
    err.print(f"contact key {cipher.key_id} seals; {len(cipher.keys)} key(s) in {path}")


@app.command("seal-contacts")
def seal_contacts(as_user: str | None = AS_OPTION) -> None:
    """Seal reporters' contacts stored in plain text or under a retired key.

    Plain text: rows from before sealing began (migration hl0002). A retired key: one that is no longer
    first in MAMORU_HOTLINE_CONTACT_KEY. Audited with counts, never contents; the worker does this on
    start.
    """
    from mamoru.hotline.contacts import seal_stored
    from mamoru.hotline.runtime import contact_cipher

    settings = load_settings()
    db = open_database(settings)
    with domain_errors(), db.session() as s:
        _print_sealed(seal_stored(s, contact_cipher(settings), resolve_actor(s, as_user)))


@app.command("purge-contacts")
def purge_contacts(as_user: str | None = AS_OPTION) -> None:
    """Clear reporters' contacts older than the retention period.

    Clears the contact of every report received more than MAMORU_HOTLINE_CONTACT_RETENTION_DAYS ago
    (the worker does this every round). Audited with the count, never the contents.
    """
    from mamoru.hotline.contacts import purge_expired
    from mamoru.hotline.settings import HotlineSettings

    settings = load_settings()
    db = open_database(settings)
    with domain_errors(), db.session() as s:
        n = purge_expired(s, settings.domain(HotlineSettings).contact_retention_days, resolve_actor(s, as_user))
    err.print(f"{n} contacts purged")


@app.command("import-ip-ranges")
def import_ip_ranges(path: Path = typer.Argument(..., exists=True, dir_okay=False),
                     as_user: str | None = AS_OPTION) -> None:
    """Replace the IP-range data (CSV: cidr,network,country[,asn]); a bad row rejects the whole file."""
    from mamoru import audit
    from mamoru.hotline.tracing import import_ip_ranges as do_import

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        actor = resolve_actor(s, as_user)
        n = do_import(s, path.read_text(encoding="utf-8"))
        audit.record(s, actor, "hotline:ip-ranges:import", f"file:{path.name}", {"rows": n})
    err.print(f"{n} IP ranges imported")


@app.command("provider")
def provider(name: str, abuse_email: str = typer.Option(..., "--email"),
             language: str = typer.Option("ja", "--language", help="ja or en: the language of deletion requests."),
             country: str = typer.Option("JP", "--country"),
             network: list[str] = typer.Option([], "--network", help="Network name from the IP data (repeatable)."),
             domain: list[str] = typer.Option([], "--domain", help="A site the provider operates (repeatable)."),
             as_user: str | None = AS_OPTION) -> None:
    """Add or update a provider in the directory."""
    from mamoru.hotline.service import add_provider

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        p = add_provider(s, resolve_actor(s, as_user), name, abuse_email, language, country, network, domain)
        err.print(f"provider {p.name} saved")


@app.command("labels")
def list_labels(kind: str | None = typer.Option(None, "--kind", help="severity or age_band (default: both).")) -> None:
    """List the assessment labels, retired ones included (kind, code, position, offered, English, Japanese; tab-separated)."""
    from mamoru.hotline import labels

    if kind is not None and kind not in labels.KINDS:
        fail(f"--kind must be one of {', '.join(labels.KINDS)}")
    db = open_database(load_settings())
    with db.session() as s:
        for lb in labels.all_labels(s, kind):
            typer.echo(f"{lb.kind}\t{lb.code}\t{lb.position}\t{'offered' if lb.active else 'retired'}\t{lb.title_en}\t{lb.title_ja}")


@app.command("label")
def label(kind: str = typer.Argument(..., help="severity or age_band"),
          code: str = typer.Argument(..., help="The label's code (lower-case letters, digits, - and _)."),
          title_en: str | None = typer.Option(None, "--en", help="English title."),
          title_ja: str | None = typer.Option(None, "--ja", help="Japanese title."),
          position: int | None = typer.Option(None, "--position", help="Order in the assessment form."),
          active: bool | None = typer.Option(None, "--offered/--retired",
                                             help="Offer the label to analysts, or retire it (kept on earlier assessments)."),
          as_user: str | None = AS_OPTION) -> None:
    """Add an assessment label or change one (a senior analyst with --as; audited). Options left out stay as they are."""
    from mamoru.hotline import labels

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        lb = labels.save_label(s, resolve_actor(s, as_user), kind, code,
                               labels.LabelChange(title_en=title_en, title_ja=title_ja, position=position, active=active))
        err.print(f"label {lb.kind}:{lb.code} saved ({'offered' if lb.active else 'retired'})")


@app.command("import-csv")
def import_csv(path: Path = typer.Argument(..., exists=True, dir_okay=False),
               partner: str = typer.Option(..., "--partner", help="The partner hotline's name."),
               as_user: str = typer.Option(..., "--as", help="The trusted-flagger account the reports come through.")) -> None:
    """Import a partner hotline's CSV of reports (all rows or none; client_key makes it idempotent);
    the police contact is alerted at once for a child possibly in immediate danger."""
    from mamoru.hotline import intake
    from mamoru.hotline.mail import mailer_from_settings
    from mamoru.hotline.runtime import contact_cipher
    from mamoru.hotline.settings import HotlineSettings

    settings = load_settings()
    hs = settings.domain(HotlineSettings)
    db = open_database(settings)
    with domain_errors(), db.session() as s:
        actor = resolve_actor(s, as_user)
        items = intake.parse_csv(path.read_text(encoding="utf-8"))
        received = intake.receive(s, items, "partner", hs, flagger=actor, partner=partner, mailer=mailer_from_settings(hs),
                                  contacts=contact_cipher(settings, hs) if any(i.contact for i in items) else None)
        for r in received.reports:
            typer.echo(f"{r.receipt}\tC{r.case_id:07d}\t{r.url}")


@app.command("referral")
def referral(case: str = typer.Argument(..., help="Case number (C0000012) or id."),
             fmt: str = typer.Option("json", "--format", help="json or pdf"),
             lang: str = typer.Option("ja", "--lang", help="Language of the PDF: ja or en."),
             as_user: str | None = AS_OPTION) -> None:
    """Write a case's referral record (no content, no reporter contact) to standard output."""
    from mamoru import audit
    from mamoru.hotline import export, service

    if fmt not in ("json", "pdf"):
        fail("--format must be json or pdf")
    if lang not in ("ja", "en"):
        fail("--lang must be ja or en")
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        c = service.get_case(s, int(case.lstrip("Cc")))
        audit.record_read(s, resolve_actor(s, as_user), "hotline:case:export", f"hotline:case:{c.id}", {"format": fmt})
        if fmt == "pdf":
            write_stdout(export.referral_pdf(s, c, lang))
        else:
            write_stdout(json.dumps(export.referral_record(s, c), ensure_ascii=False, indent=2) + "\n")


@app.command("check-removal")
def check_removal(case: str = typer.Argument(..., help="Case number (C0000012) or id."),
                  as_user: str | None = AS_OPTION) -> None:
    """Check a case's removal now, as the worker does (same checker, address guards and rules: it counts
    towards the two checks 12 hours apart), in the name of an analyst; prints the outcome and why.

    Refused under a police hold and for a case that is not waiting for removal or removed."""
    from mamoru.hotline import service, vocabulary
    from mamoru.hotline.runtime import build

    settings = load_settings()
    db = open_database(settings)
    rt = build(settings, db)
    with domain_errors(), db.session() as s:
        actor = resolve_actor(s, as_user)
        if actor is None:
            fail("name the analyst who asks for the check (the --as option)")
        c = service.get_case(s, int(case.lstrip("Cc")))
        row = service.check_removal_now(s, c, rt.checker, rt.settings.levels.check_hours, actor)
        why = vocabulary.reason_text("check", row.reason, row.reason_params, row.detail, "en")
        typer.echo(f"{c.number}\t{row.outcome}\t{row.status_code or '-'}\t{why or '-'}\t{c.status}")


@app.command("figures")
def figures_cmd(by: str = typer.Option("fy", "--by", help="fy (fiscal year) or month")) -> None:
    """Print the hotline's figures as JSON: counts, times to assessment and removal, rates."""
    from mamoru.hotline import figures

    if by not in ("fy", "month"):
        fail("--by must be fy or month")
    db = open_database(load_settings())
    with db.session() as s:
        write_stdout(json.dumps(figures.compute(s, by), ensure_ascii=False, indent=2) + "\n")
