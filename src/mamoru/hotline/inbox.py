"""The hotline's inbox (hl_inbox): reports accepted by processes that may not touch cases.

The public intake process (MAMORU_ROLE=intake) and the matcher (a platform's match report) may
INSERT into hl_inbox and nothing else of the hotline: they validate the report exactly as intake
does, give it its receipt, seal the contact with the hotline's public key and insert one row. They
never read a case, a report or the inbox itself.

The hotline worker drains the inbox every round (`drain`; `mamoru hotline drain-inbox` once): each
row becomes a report through intake.receive with the same receipt, and the row is deleted in the
same transaction, so a crash leaves the row to be drained again and never stores it twice
(hl_reports.receipt is unique, and a report already holding the row's receipt, URL and time is
taken as the row's own). A child possibly in immediate danger: intake.receive alerts the police
contact as the report is stored, as for a report through any other door.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.db import Database, is_autocommit, utcnow
from mamoru.errors import Conflict, InvalidInput
from mamoru.hotline import intake
from mamoru.hotline.contact_keys import Sealer
from mamoru.hotline.contacts import seal_new
from mamoru.hotline.models import CaseEvent, InboxReport, Report
from mamoru.hotline.receipts import new_receipt
from mamoru.hotline.settings import HotlineSettings
from mamoru.mail import Mailer

log = logging.getLogger("mamoru.hotline.inbox")
RECEIPT_ATTEMPTS = 3
INBOX = cast(Table, InboxReport.__table__)


# --- accepting (intake process, matcher) -----------------------------------------------------------

def accept_public(session: Session | Connection, inp: intake.ReportInput, sealer: Sealer | None,
                  now: datetime | None = None) -> str:
    """Validate a public report as intake.submit would, seal its contact, insert it; the receipt.
    `session` may be a Core connection (the intake's hot route, db.Database.short)."""
    _, problems = intake.validate(inp)
    if problems:
        raise InvalidInput(problems)
    values = {"source": "public", "url": inp.url, "content_type": inp.content_type, "where_found": inp.where_found,
              "description": inp.description, "immediate_danger": inp.immediate_danger}
    return _insert(session, now or utcnow(), values, lambda receipt: seal_new(sealer, receipt, inp.contact))


def accept_platform(session: Session, platform: User, url: str, matches: list[dict[str, Any]], note: str = "",
                    content_type: str = "", now: datetime | None = None) -> str:
    """A platform's report of a URL whose content matched the banks: no contact, the matches kept
    (bank name, entry id, distance; never a label). The caller has re-checked the matches."""
    inp = intake.ReportInput(url=url, content_type=content_type, description=note)
    _, problems = intake.validate(inp)
    if problems:
        raise InvalidInput(problems)
    values = {"source": "platform", "url": url, "content_type": content_type, "where_found": "",
              "description": note, "immediate_danger": False, "platform_id": platform.id, "matches": matches}
    return _insert(session, now or utcnow(), values, lambda receipt: "")


_INSERT = insert(INBOX).inline()


def _insert(session: Session | Connection, now: datetime, values: dict[str, Any], seal: Any) -> str:
    # A plain INSERT (inline: no RETURNING of the new id): the intake's database user may insert
    # here and read nothing. On a connection in autocommit (db.is_autocommit) the INSERT is its own
    # transaction and a taken receipt costs nothing to undo; in a transaction, a savepoint keeps the
    # rest of it when a receipt is taken.
    for _ in range(RECEIPT_ATTEMPTS):
        receipt = new_receipt(now)
        row = {"receipt": receipt, "received_at": now, "contact": seal(receipt), **values}
        try:
            if isinstance(session, Connection) and is_autocommit(session):
                session.execute(_INSERT, row)
            else:
                with session.begin_nested():
                    session.execute(_INSERT, row)
            return receipt
        except IntegrityError:  # the receipt is taken in the inbox: draw another
            continue
    raise Conflict("no free receipt number could be drawn; please try again")


# --- draining (hotline worker) -----------------------------------------------------------------------

class ReceiptTaken(Exception):
    """A stored report holds the row's receipt but is another report: left in the inbox, logged."""


@dataclass
class DrainSummary:
    drained: int = 0
    alerts: int = 0
    failures: int = 0


def _claim(s: Session, query: Any) -> Any:
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return s.scalars(query).first()


def drain_one(s: Session, row_id: int, hs: HotlineSettings, mailer: Mailer | None,
              now: datetime | None = None) -> intake.Received | None:
    """Store one inbox row as a report (intake.receive: the police alerted for a child in danger) and
    delete the row, in the caller's transaction. None when another worker holds the row, or the row
    was already stored."""
    row = _claim(s, select(InboxReport).where(InboxReport.id == row_id))
    if row is None:
        return None
    earlier = s.scalars(select(Report).where(Report.receipt == row.receipt)).first()
    if earlier is not None:
        if (earlier.url, earlier.source, earlier.received_at) != (row.url, row.source, row.received_at):
            raise ReceiptTaken(row.receipt)
        s.delete(row)
        return None
    platform = s.get(User, row.platform_id) if row.platform_id is not None else None
    inp = intake.ReportInput(url=row.url, content_type=row.content_type, where_found=row.where_found,
                             description=row.description, immediate_danger=row.immediate_danger)
    received = intake.receive(s, [inp], row.source, hs, flagger=platform, mailer=mailer, received_at=row.received_at,
                              now=now, receipt=row.receipt, sealed_contact=row.contact)
    [report] = received.reports
    if row.matches is not None:
        s.add(CaseEvent(case_id=report.case_id, at=now or utcnow(), kind="platform_match",
                        actor=platform.username if platform else "platform",
                        detail={"receipt": row.receipt, "matches": row.matches}))
    s.delete(row)
    s.flush()
    return received


def drain(database: Database, hs: HotlineSettings, mailer: Mailer, limit: int = 1000,
          now: datetime | None = None) -> DrainSummary:
    """Turn up to `limit` inbox rows into reports (each in its own transaction), oldest first; the
    police are alerted for those whose reporter says a child may be in immediate danger."""
    summary = DrainSummary()
    with database.session() as s:
        ids = list(s.scalars(select(InboxReport.id).order_by(InboxReport.id).limit(limit)))
    for row_id in ids:
        try:
            with database.session() as s:
                received = drain_one(s, row_id, hs, mailer, now)
                if received is not None:
                    summary.drained += 1
                    summary.alerts += received.alerts
        except IntegrityError:  # intake.receive retried once already
            summary.failures += 1
            log.error("inbox row %s could not be stored (integrity error twice)", row_id)
        except (InvalidInput, ReceiptTaken) as exc:
            summary.failures += 1
            log.error("inbox row %s stays in the inbox: %s", row_id, exc)
    if summary.drained:
        with database.session() as s:
            audit.record(s, None, "hotline:inbox:drain", "hotline:inbox", {"drained": summary.drained,
                                                                           "failures": summary.failures})
    return summary
