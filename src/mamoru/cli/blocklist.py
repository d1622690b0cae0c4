"""`mamoru blocklist`: propose, confirm, review, export, check, publish and verify the blocking list."""

from __future__ import annotations

from datetime import date
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

app = typer.Typer(help="The blocking list: reviewed, versioned, signed entries for ISPs and filtering services.",
                  no_args_is_help=True)
key_app = typer.Typer(help="The list's signing key (kept outside the database).", no_args_is_help=True)
app.add_typer(key_app, name="key")
subscriber_app = typer.Typer(help="What each subscriber may fetch from the feed: every format, or the hashed "
                             "list only.", no_args_is_help=True)
app.add_typer(subscriber_app, name="subscriber")


if TYPE_CHECKING:
    from mamoru.blocklist.settings import BlocklistSettings


def _cfg() -> BlocklistSettings:
    from mamoru.blocklist.settings import BlocklistSettings

    return load_settings().domain(BlocklistSettings)


@app.command("propose")
def propose(url: str | None = typer.Option(None, "--url", help="A URL (its canonical form is listed)."),
            host: str | None = typer.Option(None, "--host", help="One host name, exactly."),
            domain: str | None = typer.Option(None, "--domain", help="A domain and all its subdomains."),
            reason: str = typer.Option(..., "--reason", help="Why, or the hotline case it comes from."),
            criteria: str = typer.Option("", "--criteria",
                                         help="Listing criteria met, comma-separated: purpose,confirmed,same-operator,"
                                              "no-alternative (all four needed for a domain)."),
            category: str = typer.Option("csam", "--category", help="Category label."),
            case: str | None = typer.Option(None, "--case", help="Hotline case reference."),
            as_user: str | None = AS_OPTION) -> None:
    """Propose an entry; prints the new entry's id as the last word. A second person must confirm it."""
    from mamoru.blocklist import service

    given = [(k, v) for k, v in (("url", url), ("host", host), ("domain", domain)) if v is not None]
    if len(given) != 1:
        fail("give exactly one of --url, --host, --domain", 2)
    kind, raw = given[0]
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        actor = resolve_actor(s, as_user)
        e = service.propose(s, actor, kind, raw, reason, criteria=criteria.split(","), category=category,
                            case_ref=case, review_days=_cfg().review_days)
        typer.echo(f"proposed {e.kind} {e.value}, awaiting confirmation by a second person: {e.id}")


@app.command("propose-case")
def propose_case(ref: str = typer.Argument(..., metavar="CASE", help="Hotline case number (C0000042), id or URL."),
                 host: bool = typer.Option(False, "--host", help="List the case's host name instead of its URL."),
                 domain: bool = typer.Option(False, "--domain", help="List the case's host as a domain (all four "
                                                                      "criteria needed)."),
                 criteria: str = typer.Option("", "--criteria", help="Listing criteria met, comma-separated."),
                 reason: str = typer.Option("", "--reason", help="Default: the case number and verdict."),
                 as_user: str | None = AS_OPTION) -> None:
    """Propose an entry from a hotline case assessed as illegal; prints the entry's id as the last word."""
    from mamoru.hotline import to_blocklist

    if host and domain:
        fail("give at most one of --host, --domain", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        e = to_blocklist.propose(s, resolve_actor(s, as_user), ref, kind="host" if host else "domain" if domain else "url",
                                 criteria=criteria.split(","), reason=reason, review_days=_cfg().review_days)
        typer.echo(f"proposed {e.kind} {e.value} from hotline case {e.case_ref}, awaiting confirmation by a "
                   f"second person: {e.id}")


@app.command("sync-removed")
def sync_removed(as_user: str | None = AS_OPTION) -> None:
    """Take URL entries off the list once the hotline verified their content removed (host, domain: review)."""
    from mamoru.hotline import to_blocklist

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        r = to_blocklist.sync_removed(s, resolve_actor(s, as_user))
        for e in r.removed:
            typer.echo(f"removed {e.id} {e.value} (hotline case {e.case_ref or '-'}) in version {e.removed_version}")
        for e in r.to_review:
            typer.echo(f"review {e.id} {e.kind} {e.value} (hotline case {e.case_ref})")
        err.print(f"{len(r.removed)} entries left the list; {len(r.to_review)} are due for review")


@app.command("confirm")
def confirm(entry_id: int = typer.Argument(..., metavar="ID"), as_user: str | None = AS_OPTION) -> None:
    """Confirm a proposed entry (not your own, nor one by an account you created or that created yours)."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        e = service.confirm(s, resolve_actor(s, as_user), entry_id)
        typer.echo(f"entry {e.id} is on the list from version {e.added_version}")


@app.command("reject")
def reject(entry_id: int = typer.Argument(..., metavar="ID"), reason: str = typer.Option(..., "--reason"),
           as_user: str | None = AS_OPTION) -> None:
    """Reject (or, as its proposer, withdraw) an entry that is not yet confirmed."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        e = service.reject(s, resolve_actor(s, as_user), entry_id, reason)
        typer.echo(f"entry {e.id} rejected")


@app.command("remove")
def remove(entry_id: int = typer.Argument(..., metavar="ID"),
           reason: str = typer.Option("", "--reason", help="Why it leaves the list."),
           content_removed: bool = typer.Option(False, "--content-removed",
                                                help="The hotline verified the content is gone."),
           as_user: str | None = AS_OPTION) -> None:
    """Take an active entry off the list (a new list version)."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        actor = resolve_actor(s, as_user)
        e = (service.content_removed(s, actor, entry_id) if content_removed
             else service.remove(s, actor, entry_id, reason))
        typer.echo(f"entry {e.id} removed in version {e.removed_version}")


@app.command("reverify")
def reverify(entry_id: int = typer.Argument(..., metavar="ID"),
             next_review: str = typer.Option(..., "--next-review", help="YYYY-MM-DD"),
             as_user: str | None = AS_OPTION) -> None:
    """Record that an entry was re-verified, with its next review date."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        try:
            day = date.fromisoformat(next_review)
        except ValueError:
            fail(f"--next-review {next_review!r} is not a date (YYYY-MM-DD)", 2)
        e = service.reverify(s, resolve_actor(s, as_user), entry_id, day)
        typer.echo(f"entry {e.id} next review {e.review_on.isoformat()}")


@app.command("review-due")
def review_due() -> None:
    """List active entries due for review today (CSV: id, kind, value, review_on)."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with db.session() as s:
        typer.echo("id,kind,value,review_on")
        for e in service.review_due(s, date.today()):
            typer.echo(f"{e.id},{e.kind},{e.value},{e.review_on.isoformat()}")


@app.command("expire")
def expire(as_user: str | None = AS_OPTION) -> None:
    """Remove entries whose review date passed without re-verification (each a new version)."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        gone = service.expire(s, date.today(), resolve_actor(s, as_user))
        err.print(f"{len(gone)} entries expired")


@app.command("appeal")
def appeal(entry_id: int = typer.Argument(..., metavar="ID"), appellant: str = typer.Option(..., "--appellant"),
           grounds: str = typer.Option(..., "--grounds"), as_user: str | None = AS_OPTION) -> None:
    """Record a site owner's appeal against an entry; prints the appeal's id as the last word."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        a = service.record_appeal(s, resolve_actor(s, as_user), entry_id, appellant, grounds)
        typer.echo(f"appeal recorded: {a.id}")


@app.command("decide-appeal")
def decide_appeal(appeal_id: int = typer.Argument(..., metavar="APPEAL_ID"),
                  uphold: bool = typer.Option(..., "--uphold/--dismiss", help="Uphold removes the entry."),
                  reason: str = typer.Option(..., "--reason"), as_user: str | None = AS_OPTION) -> None:
    """Decide an appeal (senior analyst or administrator who neither proposed nor confirmed the entry)."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        a = service.decide_appeal(s, resolve_actor(s, as_user), appeal_id, uphold, reason)
        typer.echo(f"appeal {a.id} {a.status}")


@app.command("list")
def list_(status: str | None = typer.Option(None, "--status", help="proposed, active, rejected, removed.")) -> None:
    """Entries as CSV (newest first): id, kind, value, status, category, proposer, confirmer, review_on."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with db.session() as s:
        typer.echo("id,kind,value,status,category,proposed_by,confirmed_by,review_on")
        for e in service.entries(s, status):
            typer.echo(f"{e.id},{e.kind},{e.value},{e.status},{e.category},{e.proposed_by.username},"
                       f"{e.confirmed_by.username if e.confirmed_by else ''},{e.review_on.isoformat()}")


@app.command("compare")
def compare(from_version: int = typer.Argument(...), to_version: int = typer.Argument(...)) -> None:
    """What changed between two list versions: `+ ID kind value` and `- ID` lines."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        d = service.compare(s, from_version, to_version)
        for i in d.removed:
            typer.echo(f"- {i}")
        for e in d.added:
            typer.echo(f"+ {e.id} {e.kind} {e.value}")


@app.command("export")
def export(fmt: str = typer.Option(..., "--format", help="rpz, hosts, csv, json or hashed.")) -> None:
    """Write the active entries in one format to standard output (unsigned; `publish` signs)."""
    from mamoru.blocklist import service
    from mamoru.blocklist.compiler import FORMATS, RpzOptions, compile_format

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}", 2)
    db = open_database(load_settings())
    with db.session() as s:
        v = service.current_version(s)
        write_stdout(compile_format(fmt, service.active_entries(s, v), v, RpzOptions(splash=_cfg().splash)).data)


@app.command("check")
def check(urls: list[str] = typer.Argument(..., metavar="URL..."),
          hashed: Path | None = typer.Option(None, "--hashed", help="Check against this hashed-form file instead "
                                                                    "of the database.")) -> None:
    """Print `blocked ENTRY_ID` (the most specific entry) or `clear` for each URL, in order; exit 0 either way.

    Every URL is read before any is checked: when one cannot be read, each such URL and the reason
    go to standard error, nothing goes to standard output, and the exit status is 2 (bad input), so
    no line is ever printed that could be taken for another URL's answer.
    """
    from mamoru import urls as url_rules
    from mamoru.blocklist.checker import Checker, HashedChecker

    unreadable = []
    for u in urls:
        try:
            url_rules.parse(u)
        except ValueError as exc:
            unreadable.append(f"mamoru: {u!r}: {exc}")
    if unreadable:
        for line in unreadable:
            err.print(line, markup=False)
        fail(f"{len(unreadable)} of {len(urls)} URLs cannot be read; nothing was checked", 2)
    checker: Checker | HashedChecker
    if hashed is not None:
        try:
            checker = HashedChecker.from_bytes(hashed.read_bytes())
        except (OSError, ValueError) as exc:
            fail(f"{hashed}: {exc}", 2)
    else:
        from mamoru.blocklist import service

        db = open_database(load_settings())
        with db.session() as s:
            checker = Checker(service.active_entries(s))
    for u in urls:
        hit = checker.check(u)
        typer.echo("clear" if hit is None else f"blocked {hit}")


@app.command("publish")
def publish(out: Path | None = typer.Option(None, "--out", help="Also write the files and their .sig here "
                                           "(after the database holds them; rerun to write them again)."),
            as_user: str | None = AS_OPTION) -> None:
    """Build and sign every format and the delta from the last publication, all at once or not at all.

    With MAMORU_BLOCKLIST_KEY set, its key file must be there: missing or unreadable, nothing is
    published and the command exits 2 naming the path (`mamoru blocklist key rotate` makes a key)."""
    from mamoru.blocklist import publishing, signing
    from mamoru.errors import Conflict

    with domain_errors():
        signing.signing_key(_cfg())  # before anything else: a configured key that is missing is never replaced
    db = open_database(load_settings())
    written: list[tuple[str, bytes, bytes]] = []
    with domain_errors():
        with db.session() as s:
            try:
                pub = publishing.publish(s, resolve_actor(s, as_user), _cfg())
                fresh = True
            except Conflict:
                # Nothing changed since the last publication: with --out, its files are written again
                # (a run killed after the commit but before the files were in place is finished so).
                latest = publishing.latest_publication(s)
                if out is None or latest is None:
                    raise
                pub, fresh = latest, False
            version, entries, key = pub.version, pub.entry_count, pub.key_id
            written += [(publishing.file_name(f), f.data, f.signature) for f in publishing.files_of(s, pub)]
        # Only what the database holds (committed above) reaches DIR; each file is written under a
        # temporary name, flushed and renamed, the signature after its file.
        if out is not None:
            _write_published(out, written)
    where = f"; written to {out}" if out is not None else ""
    if fresh:
        typer.echo(f"published version {version}: {entries} entries, {len(written)} signed files, key {key}{where}")
    else:
        typer.echo(f"version {version} was already published and nothing changed since: its {len(written)} "
                   f"signed files{where}")


def _write_published(out: Path, written: list[tuple[str, bytes, bytes]]) -> None:
    from mamoru import files

    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data, signature in written:
            files.replace(out / name, data)
            files.replace(out / (name + ".sig"), signature)
        files.sync_folder(out)
    except OSError as exc:
        fail(f"the publication is stored, but writing its files to {out} failed: {exc}; "
             "run `mamoru blocklist publish --out DIR` again to write them", 1)


@app.command("verify")
def verify(file: Path = typer.Argument(..., help="A published file."),
           key: Path = typer.Option(..., "--key", help="The list's public key (PEM)."),
           signature: Path | None = typer.Option(None, "--signature", help="Default: FILE.sig")) -> None:
    """Check a published file against its signature and the public key; exit 1 when it does not verify."""
    from mamoru.blocklist import signing

    sig_path = signature or file.with_name(file.name + ".sig")
    try:
        data, sig, pub = file.read_bytes(), sig_path.read_bytes(), signing.load_public_key(key)
    except (OSError, ValueError) as exc:
        fail(str(exc), 2)
    try:
        st = signing.verify(data, sig, pub, name=file.name)
    except signing.BadSignature as exc:
        fail(f"{file}: does NOT verify: {exc}", 1)
    frm = f" from version {st.from_version}" if st.from_version is not None else ""
    typer.echo(f"ok: {file.name} is {st.name} ({st.format}), version {st.version}{frm}, signed by key {st.key_id}")


@key_app.command("show")
def key_show() -> None:
    """Print the current public key (PEM) and its id (on standard error). A configured key
    (MAMORU_BLOCKLIST_KEY) that is missing is not made: exit 2 naming the path."""
    from mamoru.blocklist import signing

    with domain_errors():
        key = signing.signing_key(_cfg()).public_key()
    write_stdout(signing.public_pem(key))
    err.print(f"key id {signing.key_id(key)}")


@key_app.command("rotate")
def key_rotate() -> None:
    """Make a new signing key; the old one is kept aside (retired) and its public key stays published.
    The one command that makes the key at a path given in MAMORU_BLOCKLIST_KEY."""
    from mamoru import audit
    from mamoru.blocklist import signing

    old, new = signing.rotate_key(_cfg().key_path)
    db = open_database(load_settings())
    with db.session() as s:
        audit.record(s, None, "blocklist:key:rotate", f"blocklist-key:{new}", {"retired": old})
    typer.echo(f"new key {new}" + (f"; retired {old}" if old else ""))


@subscriber_app.command("set")
def subscriber_set(username: str = typer.Argument(..., help="A subscriber account."),
                   hashed_only: bool = typer.Option(False, "--hashed-only", help="The hashed list and its "
                                                    "signature only: every plaintext format and the deltas "
                                                    "answer 403."),
                   plaintext: bool = typer.Option(False, "--plaintext", help="Every format and the deltas "
                                                  "(the default of a subscriber never set)."),
                   as_user: str | None = AS_OPTION) -> None:
    """Set what a subscriber may fetch (administrators; audited)."""
    from mamoru.blocklist import service

    if hashed_only == plaintext:
        fail("give exactly one of --hashed-only, --plaintext", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        row = service.set_entitlement(s, resolve_actor(s, as_user), username, "hashed" if hashed_only else "plaintext")
        entitlement = row.entitlement
    typer.echo(f"{username}: {'hashed list only' if entitlement == 'hashed' else 'every format'}")


@subscriber_app.command("list")
def subscriber_list() -> None:
    """Every subscriber and what it may fetch, one a line: USERNAME plaintext|hashed."""
    from mamoru.blocklist import service

    db = open_database(load_settings())
    with db.session() as s:
        for user, entitlement in service.subscriptions(s):
            typer.echo(f"{user.username} {entitlement}")
