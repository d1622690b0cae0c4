"""`mamoru work`: the scheduled work of every domain in one process; `mamoru run`: the web application
and that worker together, as `make run` starts them.

Each round runs, in its own transactions: the hotline's round (inbox, police alerts, deletion
requests and re-sends, removal checks, the blocking list following verified removals, contact
purge, the hotline's figures published for the follow-up); the matcher's snapshot refresh (a new
index snapshot when the banks changed, which matcher processes then load); and the blocking list's
expiry of entries whose review date passed without re-verification; the follow-up's reminders to
agency officers before and after a round's due date (mamoru.followup.reminders; in a process whose
role runs the follow-up: the development role, or a worker started as the office role, the
production layout's office-worker, whose database user may touch only that job's tables). Each job records its round in
mamoru.workers, which `GET /api/v1/health` reports. A failing job is recorded with its error and
retried next round; it never stops the others.
"""

from __future__ import annotations

import os
import signal
import subprocess  # nosec B404 - starts mamoru's own two commands, nothing a user names
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import typer

from mamoru.cli.common import err, load_settings, open_database
from mamoru.config import Settings
from mamoru.db import Database, utcnow


def register(app: typer.Typer) -> None:
    app.command("work")(work)
    app.command("run")(run)


@dataclass
class Job:
    name: str
    run: Callable[[], str]


def _hotline_job(settings: Settings, db: Database) -> Job:
    from mamoru.hotline.automation import run_due
    from mamoru.hotline.contacts import seal_stored
    from mamoru.hotline.runtime import build

    rt = build(settings, db)
    with db.session() as session:
        seal_stored(session, rt.contacts)
    first = [True]

    def hotline_round() -> str:
        s = run_due(db, rt.settings, rt.mailer, rt.checker, catch_up=first[0])
        first[0] = False
        return (f"inbox {s.drained}, alerts {s.alerts}, deletion requests {s.notices}, checks {s.checks} "
                f"(removed {s.removed}, reappeared {s.reappeared}), failures {s.failures}, contacts purged "
                f"{s.contacts_purged}, delisted {s.delisted}, figures published {s.figures}")
    return Job("hotline", hotline_round)


def _snapshot_job(settings: Settings, db: Database) -> Job:
    from mamoru.matching.runtime import build_snapshot
    from mamoru.matching.settings import MatchingSettings

    folder = settings.domain(MatchingSettings).snapshot_dir

    def snapshot_round() -> str:
        with db.session() as session:
            rec = build_snapshot(session, folder)
            return f"snapshot version {rec.version}: {rec.pdq_count} PDQ hashes, {rec.exact_count} digests"
    return Job("matching-snapshot", snapshot_round)


def _blocklist_job(db: Database) -> Job:
    from mamoru.blocklist import service

    def review_round() -> str:
        with db.session() as session:
            return f"{len(service.expire(session, date.today(), None))} entries expired (review date passed)"
    return Job("blocklist-review", review_round)


def _followup_job(settings: Settings, db: Database) -> Job:
    from mamoru.followup.reminders import send_reminders
    from mamoru.followup.settings import FollowupSettings
    from mamoru.mail import mailer_from_settings

    days = settings.domain(FollowupSettings).reminder_days
    mailer = mailer_from_settings(settings)

    def reminder_round() -> str:
        with db.session() as session:
            return send_reminders(session, mailer, days).line()
    return Job("followup-reminders", reminder_round)


def jobs_for(settings: Settings, db: Database) -> list[Job]:
    """The jobs of the domains this process's role runs (in production the worker runs as the hotline
    role, the office-worker as the office role: its one job is the follow-up's reminders)."""
    from mamoru import composition

    served = {d.name for d in composition.domains_for(settings.role)}
    out = []
    if "hotline" in served:
        out.append(_hotline_job(settings, db))
    if "matching" in served:
        out.append(_snapshot_job(settings, db))
    if "blocklist" in served:
        out.append(_blocklist_job(db))
    if "followup" in served:
        out.append(_followup_job(settings, db))
    return out


def one_round(db: Database, jobs: list[Job], started_at: datetime, interval: float) -> int:
    """Run every job once, recording each; returns how many failed."""
    from mamoru import workers

    failed = 0
    for job in jobs:
        try:
            summary, error = job.run(), ""
        except Exception as exc:  # noqa: BLE001 - one job's failure is recorded, the others still run
            summary, error = "", "".join(traceback.format_exception_only(exc)).strip()
            failed += 1
        try:
            workers.record_round(db, job.name, started_at, interval, summary, error)
        except Exception as exc:  # noqa: BLE001 - the health row is a report, not the work
            err.print(f"could not record the {job.name} round: {exc}")
        err.print(f"{job.name}: {error or summary}")
    return failed


def work(once: bool = typer.Option(False, "--once", help="One round of every job, then exit (1 if a job failed)."),
         interval: float = typer.Option(60.0, "--interval", help="Seconds between rounds.")) -> None:
    """Run the scheduled work of every domain this process's role runs: the hotline's round, the
    matcher's snapshot refresh, the blocking list's expiry, the follow-up's reminders; each recorded
    for /api/v1/health."""
    settings = load_settings()
    db = open_database(settings)
    jobs = jobs_for(settings, db)
    if not jobs:
        err.print(f"MAMORU_ROLE={settings.role} runs no scheduled work")
        raise typer.Exit(2)
    started_at = utcnow()
    err.print(f"worker started: {', '.join(j.name for j in jobs)}, a round every {interval:g} s")
    while True:
        failed = one_round(db, jobs, started_at, interval)
        if once:
            raise typer.Exit(1 if failed else 0)
        time.sleep(interval)


def run(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
        interval: float = typer.Option(60.0, "--interval", help="Seconds between the worker's rounds.")) -> None:
    """The whole system on one machine: the web application and the background worker (`make run`).

    Stops both on Ctrl-C; if either ends, the other is stopped too."""
    settings = load_settings()
    mamoru = [sys.executable, "-m", "mamoru.cli"]
    env = dict(os.environ)
    # nosec B603: this interpreter running mamoru itself, with a host, a port and a number as arguments
    web = subprocess.Popen([*mamoru, "serve", "--host", host, "--port", str(port)], env=env)  # nosec B603
    worker = subprocess.Popen([*mamoru, "work", "--interval", str(interval)], env=env)  # nosec B603
    typer.echo(f"mamoru is running at http://{host}:{port}  (Ctrl-C stops it)")
    typer.echo(f"  web application and API (docs: http://{host}:{port}/api/v1/docs)")
    typer.echo(f"  background worker, a round every {interval:g} s: hotline inbox, notices, removal checks, "
               "contact purge, figures; matcher snapshot refresh; blocking-list review")
    mail = (f"outbox (read it at http://{host}:{port}/admin/outbox; nothing leaves this machine)"
            if settings.mail_backend == "outbox" else settings.mail_backend)
    typer.echo(f"  mail: {mail}")
    children = (web, worker)

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    code = web.returncode or 0
    raise typer.Exit(code if code > 0 else 0)
