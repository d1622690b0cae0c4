"""The hotline's scheduled work, as one plain function: `run_due(database, ...)`.

Each case carries when its next automatic step is due (police alert, deletion request or re-send,
removal check), and each report holding a reporter's contact since when it holds it. `run_due` first
drains the inbox (reports from the public intake process and platforms' match reports become
reports and cases, hotline/inbox.py), then does the due ones, each case in its own transaction,
clears contacts past the retention period, and does nothing when nothing is due. On PostgreSQL a case is claimed with FOR UPDATE SKIP LOCKED, so several workers can
run side by side without doing the same case twice. A case the police hold is never touched.

One case's failure is that case's alone: an exception while handling it (a provider's address the
mail library refuses, a bug, a database error on that row) rolls back that case's transaction, is
recorded on the case (hl_cases.work_error_job, work_error, work_error_at, work_attempts; the
work_failed event holds what it means in each language) and shown to analysts, and that job is tried again for the case after a backoff (10 minutes, doubling, at most a
day: work_retry_at); the round goes on with the other cases and returns normally.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from mamoru.db import Database, utcnow
from mamoru.followup import figures
from mamoru.hotline import contacts, inbox, notices, to_blocklist, vocabulary
from mamoru.hotline import workflow as wf
from mamoru.hotline.checker import RemovalChecker
from mamoru.hotline.indicators import PROVIDERS
from mamoru.hotline.models import CaseEvent, HotlineCase
from mamoru.hotline.service import record_check
from mamoru.hotline.settings import HotlineSettings
from mamoru.mail import Mailer

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    alerts: int = 0
    notices: int = 0
    checks: int = 0
    removed: int = 0
    reappeared: int = 0
    failures: int = 0
    contacts_purged: int = 0
    drained: int = 0
    delisted: int = 0  # blocking-list URL entries taken off because their content was verified removed
    to_review: int = 0  # host and domain entries of such cases made due for review
    figures: int = 0  # the hotline's indicator values published for the portal and the office

    def total(self) -> int:
        return self.alerts + self.notices + self.checks


def _due_ids(database: Database, query: Select[Any], limit: int) -> list[int]:
    with database.session() as s:
        return list(s.scalars(query.limit(limit)))


def _claim(s: Session, case_id: int, condition: Any) -> HotlineCase | None:
    q = select(HotlineCase).where(HotlineCase.id == case_id, condition, HotlineCase.police_hold.is_(False))
    if s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return s.scalars(q).first()


FIRST_RETRY = timedelta(minutes=10)
LONGEST_RETRY = timedelta(days=1)


def retry_after(attempts: int) -> timedelta:
    """How long a job waits for a case after its `attempts`-th failure in a row: 10 minutes, doubling,
    at most a day."""
    doublings: int = min(max(attempts - 1, 0), 16)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


def _not_waiting(job: str, now: datetime) -> Any:
    """Cases this job may take now: not waiting out a backoff after this job failed on them."""
    return or_(HotlineCase.work_retry_at.is_(None), HotlineCase.work_retry_at <= now,
               HotlineCase.work_error_job.is_(None), HotlineCase.work_error_job != job)


def _record_failure(database: Database, case_id: int, job: str, exc: Exception, now: datetime) -> None:
    """The case's own record of what failed (shown to analysts), in its own transaction."""
    with database.session() as s:
        case = s.get(HotlineCase, case_id)
        if case is None:
            return
        case.work_attempts = (case.work_attempts or 0) + 1 if case.work_error_job == job else 1
        case.work_error_job, case.work_error_at = job, now
        case.work_error = f"{type(exc).__name__}: {exc}"[:2000]
        case.work_retry_at = now + retry_after(case.work_attempts)
        attempts = case.work_attempts
        s.add(CaseEvent(case_id=case.id, at=now, kind="work_failed",
                        detail={"job": job, "error": case.work_error, "attempts": attempts,
                                "retry_at": case.work_retry_at.isoformat(),
                                "error_text": vocabulary.failure_texts(exc)}))
    log.warning("hotline worker: %s failed for case %d (attempt %d): %s", job, case_id, attempts, type(exc).__name__)


def _each(database: Database, job: str, query: Select[Any], condition: Any, limit: int,
          work: Callable[[Session, HotlineCase], None], summary: RunSummary, now: datetime) -> None:
    """Do `work` for each due case, each in its own transaction. An exception while handling one case
    is that case's: its transaction is rolled back, the failure is recorded on the case and the job is
    tried again for it after a backoff (retry_after); the round goes on with the other cases."""
    waiting = _not_waiting(job, now)
    for case_id in _due_ids(database, query.where(waiting), limit):
        try:
            with database.session() as s:
                case = _claim(s, case_id, condition & waiting)
                if case is not None:
                    work(s, case)
                    if case.work_error_job == job:  # it works again: the record of the failure goes
                        case.work_error_job, case.work_error, case.work_error_at = None, "", None
                        case.work_attempts, case.work_retry_at = 0, None
        except Exception as exc:  # one case's failure must not stop the others' work
            summary.failures += 1
            _record_failure(database, case_id, job, exc, now)


def run_due(database: Database, hs: HotlineSettings, mailer: Mailer, checker: RemovalChecker,
            now: datetime | None = None, limit: int = 500, catch_up: bool = True) -> RunSummary:
    """One round: inbox, police alerts, deletion requests, removal checks, contact purge, and the
    hotline's indicator figures published for the follow-up. After the removal checks, the blocking list follows the verified removals
    (hotline.to_blocklist.sync_removed): in every round that found content removed, and, with
    `catch_up`, whatever the round found (the worker's first round, and every `--once` run)."""
    now = now or utcnow()
    summary = RunSummary()
    drained = inbox.drain(database, hs, mailer, now=now)
    summary.drained, summary.alerts, summary.failures = drained.drained, drained.alerts, drained.failures
    not_held = HotlineCase.police_hold.is_(False)

    # The alerts intake.receive could not send (no mailer at that door, or the mail failed), on the
    # same terms: once per case, not under a police hold.
    alert_cond = HotlineCase.immediate_danger.is_(True) & HotlineCase.police_alerted_at.is_(None) & not_held
    if hs.police_email:
        def alert(s: Session, case: HotlineCase) -> None:
            summary.alerts += int(notices.alert_police(s, case, mailer, hs, now))
        _each(database, "alert", select(HotlineCase.id).where(alert_cond), alert_cond, limit, alert, summary, now)

    notice_cond = (HotlineCase.status.in_((wf.NOTICE_PENDING, wf.REMOVAL_PENDING)) & HotlineCase.next_notice_at.is_not(None)
                   & (HotlineCase.next_notice_at <= now) & HotlineCase.provider_id.is_not(None))

    def notice(s: Session, case: HotlineCase) -> None:
        if case.status == wf.REMOVAL_PENDING and case.first_notice_at is None:
            return  # forwarded abroad: the partner hotline acts, mamoru only checks
        row = notices.send_deletion_request(s, case, mailer, hs, None, now)
        summary.notices += int(row.delivered)
        summary.failures += int(not row.delivered)
    _each(database, "notice", select(HotlineCase.id).where(notice_cond & not_held).order_by(HotlineCase.next_notice_at),
          notice_cond, limit, notice, summary, now)

    check_cond = (HotlineCase.status.in_((wf.REMOVAL_PENDING, wf.REMOVED)) & HotlineCase.next_check_at.is_not(None)
                  & (HotlineCase.next_check_at <= now))

    def check(s: Session, case: HotlineCase) -> None:
        before = case.status
        result = checker.check(case.url)
        record_check(s, case, result, hs.levels.check_hours, now)
        summary.checks += 1
        summary.removed += int(before == wf.REMOVAL_PENDING and case.status == wf.REMOVED)
        summary.reappeared += int(before == wf.REMOVED and case.status == wf.REMOVAL_PENDING)
    _each(database, "check", select(HotlineCase.id).where(check_cond & not_held).order_by(HotlineCase.next_check_at),
          check_cond, limit, check, summary, now)

    if summary.removed or catch_up:
        with database.session() as s:
            synced = to_blocklist.sync_removed(s, None, now.date())
            summary.delisted, summary.to_review = len(synced.removed), len(synced.to_review)

    with database.session() as s:  # reads only reports still holding a contact older than the retention
        summary.contacts_purged = contacts.purge_expired(s, hs.contact_retention_days, None, now)
    with database.session() as s:  # the portal and the office may not read hotline tables: they show these
        summary.figures = figures.publish(s, PROVIDERS, source="mamoru hotline worker", now=now)
    return summary


def checker_from_settings(hs: HotlineSettings) -> RemovalChecker:
    from mamoru.hotline.tracing import DnsResolver

    return RemovalChecker(resolver=DnsResolver(hs.dns_server), timeout=hs.check_timeout,
                          max_redirects=hs.check_max_redirects, proxy=hs.check_proxy,
                          allow_loopback=hs.check_allow_loopback_for_tests)
