"""Taking reports in: the public form, trusted flaggers (single, batch, idempotent on a client key)
and CSV imports from partner hotlines.

A report is kept exactly as entered. Received reports are not written to the audit log one by one:
hl_reports is itself an append-only record (receipt, time, source, flagger), and a per-report audit
event would push every public submission through the audit chain's single lock; an account's batch
or CSV import is audited as one event. Its URL's canonical form (mamoru.urls, the Safe Browsing rules)
decides which case it joins: one case per canonical URL. A URL already assessed is labelled from that
assessment and not queued again. Nothing here makes any request to the reported address.
A reporter's contact is sealed before it is stored (hotline/contacts.py); intake refuses to store one
without the contact cipher.

Every door takes reports in through `receive` (the public form in the hotline process, trusted
flaggers' API, a partner's CSV on the command line, the inbox the worker drains): storing, a
repeated submission, the race of two first reports of one URL and the police alert for a child
possibly in immediate danger are decided there once; the doors only translate input and output.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mamoru import audit, urls
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import BadValue, InvalidInput, Problem
from mamoru.hotline import notices
from mamoru.hotline import workflow as wf
from mamoru.hotline.contact_keys import Sealer
from mamoru.hotline.contacts import seal_new
from mamoru.hotline.models import HotlineCase, Report
from mamoru.hotline.receipts import new_receipt
from mamoru.hotline.settings import HotlineSettings
from mamoru.mail import Mailer

CONTENT_TYPES = ("image", "video", "live", "text", "other")
SOURCES = ("public", "flagger", "partner", "platform")
TRUSTED_SOURCES = ("flagger", "partner", "platform")
LIMITS = {"url": 2048, "content_type": 32, "where_found": 2000, "description": 5000, "contact": 500, "client_key": 100}
MAX_BATCH = 1000
_HOST_RE = re.compile(r"\[[0-9a-f:.]+\]|(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+(?:[a-z0-9-]*[a-z0-9]|xn--[a-z0-9-]+)\.?"
                      r"|[0-9]+(?:\.[0-9]+){3}")


@dataclass
class ReportInput:
    url: str
    content_type: str = ""
    where_found: str = ""
    description: str = ""
    contact: str = ""
    immediate_danger: bool = False
    client_key: str | None = None

    @classmethod
    def from_mapping(cls, row: dict[str, Any]) -> ReportInput:
        danger = row.get("immediate_danger")
        return cls(url=str(row.get("url") or ""), content_type=str(row.get("content_type") or ""),
                   where_found=str(row.get("where_found") or ""), description=str(row.get("description") or ""),
                   contact=str(row.get("contact") or ""),
                   immediate_danger=danger is True or str(danger).strip().lower() in ("1", "true", "yes", "on"),
                   client_key=(str(row["client_key"]) if row.get("client_key") not in (None, "") else None))


PORT_REASON = "the port must be a number from 1 to 65535"


def _port_is_usable(url: str) -> bool:
    """No address names port 99999: a report of one is refused with the reason, not stored."""
    try:
        urls.port_of(url)
    except ValueError:
        return False
    return True


def validate(inp: ReportInput, row: int | None = None) -> tuple[str, list[Problem]]:
    """The canonical URL and the problems of one report (empty when it can be stored)."""
    problems: list[Problem] = []
    for name, limit in LIMITS.items():
        value = getattr(inp, name)
        if value is not None and len(value) > limit:
            problems.append(Problem.of(row, name, "too long: at most {limit} characters", limit=limit))
    if inp.content_type and inp.content_type not in CONTENT_TYPES:
        problems.append(Problem(row, "content_type", f"choose one of {', '.join(CONTENT_TYPES)}"))
    canonical = ""
    if not inp.url.strip():
        problems.append(Problem(row, "url", "the address (URL) is required"))
    elif not any(p.field == "url" for p in problems):
        try:
            parts = urls.parse(inp.url.strip())
            canonical = parts.url
            if not _port_is_usable(inp.url.strip()):
                problems.append(Problem(row, "url", PORT_REASON))
            elif parts.scheme not in ("http", "https"):
                problems.append(Problem(row, "url", "only http and https addresses can be reported"))
            elif not _HOST_RE.fullmatch(parts.host):
                problems.append(Problem(row, "url", "the host name is not a usable internet name or address"))
            elif len(canonical) > LIMITS["url"]:
                problems.append(Problem(row, "url", "too long once canonicalised"))
            else:  # listed at one host and checked at another: refused (BadValue, below)
                urls.check_one_host(inp.url.strip())
        except ValueError as exc:
            problems.append(Problem.of(row, "url", "not a usable address: {detail}",
                                        detail=exc.phrase() if isinstance(exc, BadValue) else str(exc)))
    return canonical, problems


def submit(session: Session, inp: ReportInput, source: str, levels: wf.ServiceLevels, *,
           flagger: User | None = None, partner: str = "", now: datetime | None = None,
           contacts: Sealer | None = None, receipt: str | None = None, sealed_contact: str | None = None) -> Report:
    """Store one report (or return the earlier one with the same flagger and client key).

    A report drained from the inbox (hotline/inbox.py) comes with its receipt, and its contact
    already sealed (`sealed_contact`; `inp.contact` is then left empty).

    Two first reports of one URL racing each other make the second transaction fail on the unique
    canonical URL (IntegrityError); `receive`, which every door calls, retries once and joins the case.
    """
    now = now or utcnow()
    canonical, problems = validate(inp)
    if problems:
        raise InvalidInput(problems)
    if flagger is not None and inp.client_key:
        earlier = session.scalars(select(Report).where(Report.flagger_id == flagger.id,
                                                       Report.client_key == inp.client_key)).first()
        if earlier is not None:
            return earlier
    receipt = receipt or new_receipt(now)
    if sealed_contact is None:
        sealed_contact = seal_new(contacts, receipt, inp.contact)
    trusted = source in TRUSTED_SOURCES
    case = session.scalars(select(HotlineCase).where(HotlineCase.canonical_url == canonical)).first()
    if case is None:
        case = HotlineCase(canonical_url=canonical, url=inp.url.strip(), status=wf.QUEUED, content_type=inp.content_type,
                           opened_at=now, due_at=wf.assessment_due(now, inp.immediate_danger, levels), report_count=1,
                           immediate_danger=inp.immediate_danger, trusted=trusted, addresses=[],
                           priority=wf.priority(inp.immediate_danger, trusted, inp.content_type))
    else:
        case.report_count += 1
        case.immediate_danger = case.immediate_danger or inp.immediate_danger
        case.trusted = case.trusted or trusted
        if inp.immediate_danger and case.status == wf.QUEUED:
            case.due_at = min(case.due_at, wf.assessment_due(now, True, levels))
        case.priority = wf.priority(case.immediate_danger, case.trusted, case.content_type or inp.content_type)
        if case.status == wf.REMOVED:
            case.next_check_at = now  # reported again after removal: check soon whether it came back
    report = Report(receipt=receipt, case=case, received_at=now, source=source, url=inp.url,
                    content_type=inp.content_type, where_found=inp.where_found, description=inp.description,
                    contact=sealed_contact, contact_kept_since=now if sealed_contact else None,
                    immediate_danger=inp.immediate_danger,
                    flagger_id=flagger.id if flagger else None, client_key=inp.client_key if flagger else None,
                    partner=partner, auto_verdict=case.verdict)
    session.add(report)
    session.flush()
    return report


def submit_batch(session: Session, items: list[ReportInput], source: str, levels: wf.ServiceLevels, *,
                 flagger: User | None, partner: str = "", now: datetime | None = None,
                 contacts: Sealer | None = None) -> list[Report]:
    """All reports of a batch or none: every problem is named with its row (1-based)."""
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"a batch holds at most {MAX_BATCH} reports")
    problems = [p for i, item in enumerate(items, start=1) for p in validate(item, i)[1]]
    keys = [i.client_key for i in items if i.client_key]
    if len(keys) != len(set(keys)):
        problems.append(Problem(None, "client_key", "the same client key appears twice in this batch"))
    if problems:
        raise InvalidInput(problems)
    reports = [submit(session, item, source, levels, flagger=flagger, partner=partner, now=now, contacts=contacts)
               for item in items]
    if len(items) > 1 or source == "partner":  # an account's bulk submission is an action worth auditing
        audit.record(session, flagger, "hotline:reports:batch", f"hotline:source:{source}",
                     {"count": len(reports), "partner": partner, "first": reports[0].receipt if reports else None})
    return reports


@dataclass
class Received:
    reports: list[Report] = field(default_factory=list)  # in the order given; a repeat gives the first one back
    alerts: int = 0  # police alerts sent


def receive(session: Session, items: Sequence[ReportInput], source: str, hs: HotlineSettings, *,
            flagger: User | None = None, partner: str = "", contacts: Sealer | None = None,
            mailer: Mailer | None = None, received_at: datetime | None = None, now: datetime | None = None,
            receipt: str | None = None, sealed_contact: str | None = None) -> Received:
    """Take reports in, whichever door they came through, in the caller's transaction:

    - all or none (submit_batch: every problem named with its row; an account's batch audited once);
    - a repeated submission (the same flagger and client key) gives back the report stored the first
      time and stores nothing, so a client may retry whatever happened to its first request;
    - two first reports of one URL racing each other (IntegrityError on the case's unique canonical
      URL) are retried once, from a savepoint, and the retry joins the case the other one opened;
    - a child possibly in immediate danger: the police contact is alerted at once, once per case
      (the case is re-read under a row lock, so reports arriving together alert once), not for a
      case under a police hold; with no mailer, or when the mail fails, the worker's round alerts.

    `received_at` is when the reports arrived (an inbox row: when the intake accepted it), `now`
    when the police are alerted; both default to now. An inbox row brings its own `receipt` and
    `sealed_contact` (one item only).
    """
    if (receipt is not None or sealed_contact is not None) and len(items) != 1:
        raise ValueError("a receipt or a sealed contact is given for one report only")
    for attempt in (1, 2):
        try:
            with session.begin_nested():
                if receipt is not None or sealed_contact is not None:
                    reports = [submit(session, items[0], source, hs.levels, flagger=flagger, partner=partner,
                                      now=received_at, contacts=contacts, receipt=receipt,
                                      sealed_contact=sealed_contact)]
                else:
                    reports = submit_batch(session, list(items), source, hs.levels, flagger=flagger,
                                           partner=partner, now=received_at, contacts=contacts)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    alerts = 0
    if mailer is not None:
        alerts = _alert_police_once(session, {r.case_id for r in reports if r.immediate_danger}, mailer, hs, now)
    return Received(reports, alerts)


def _alert_police_once(session: Session, case_ids: Iterable[int], mailer: Mailer, hs: HotlineSettings,
                       now: datetime | None) -> int:
    alerts = 0
    for case_id in sorted(case_ids):
        query = (select(HotlineCase).where(HotlineCase.id == case_id, HotlineCase.immediate_danger.is_(True),
                                           HotlineCase.police_alerted_at.is_(None), HotlineCase.police_hold.is_(False))
                 .execution_options(populate_existing=True))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        case = session.scalars(query).first()
        if case is not None:
            alerts += int(notices.alert_police(session, case, mailer, hs, now))
    return alerts


def parse_csv(text: str) -> list[ReportInput]:
    """Partner hotlines' CSV: header with at least `url`; optional content_type, where_found,
    description, immediate_danger, client_key (their own reference, which makes re-imports idempotent)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))  # a lone CR ends a line, as in files
    try:
        if not reader.fieldnames or "url" not in reader.fieldnames:
            raise InvalidInput([Problem(1, "url", "the header must name a url column")])
        return [ReportInput.from_mapping({k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: name the line
        reason = str(exc).split(" - ")[0]
        raise InvalidInput([Problem(reader.line_num + 1, "csv", f"not readable as CSV: {reason}")]) from None
