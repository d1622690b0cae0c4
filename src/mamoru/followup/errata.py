"""Errata of a published round: the report is the record, so it is corrected, never edited.

Once a round is published its entries are locked for everyone (mamoru.followup.entries refuses every
save, submission, return and acceptance; the spreadsheet import refuses every row). What the office
finds wrong afterwards is added here: a correction with its reason and the date it was made, naming
the entry it corrects (or the report as a whole). The entry keeps the text as it was approved; the
report, the portal and the open data show both the original and the correction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mamoru import audit, periods
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import Conflict, InvalidInput, PermissionDenied, Problem
from mamoru.followup.models import ReportingRound, RoundEntry, RoundErratum
from mamoru.plan.models import Measure

MAX_TEXT = 20_000


def errata(session: Session, r: ReportingRound) -> list[RoundErratum]:
    """The round's errata in the order they were made (one statement, entries and measures loaded)."""
    return list(session.scalars(select(RoundErratum).where(RoundErratum.round_id == r.id).order_by(RoundErratum.id)
                                .options(selectinload(RoundErratum.entry).selectinload(RoundEntry.measure),
                                         selectinload(RoundErratum.entry).selectinload(RoundEntry.agency))))


def _entry_of(session: Session, r: ReportingRound, entry_key: str | None) -> tuple[RoundEntry | None, list[Problem]]:
    if not entry_key:
        return None, []
    key = entry_key.strip()
    stmt = select(RoundEntry).where(RoundEntry.round_id == r.id)
    e = session.scalar(stmt.where(RoundEntry.id == int(key)) if key.isdigit() else stmt.where(RoundEntry.key == key))
    if e is None:
        return None, [Problem.of(None, "entry", "no entry {entry} in round {round}", entry=key, round=r.id)]
    if e.state != "accepted":
        return None, [Problem.of(None, "entry", "entry {entry} was not published (only accepted entries are in "
                                 "the report)", entry=e.key)]
    return e, []


def add_erratum(session: Session, actor: User | None, r: ReportingRound, *, reason: str, text_ja: str = "",
                text_en: str = "", entry_key: str | None = None, corrected_on: date | None = None) -> RoundErratum:
    """Correct a published round's report (the plan office): the correction is added, nothing is changed."""
    if actor is not None and actor.role != roles.COORDINATOR:
        raise PermissionDenied("only the plan office corrects a published report")
    if not r.published:
        raise Conflict("round {round} is not published: return the entry and correct it instead", round=r.id)
    entry, problems = _entry_of(session, r, entry_key)
    text_ja, text_en, reason = text_ja.strip(), text_en.strip(), reason.strip()
    if not text_ja and not text_en:
        problems.append(Problem(None, "text_ja", "the correction in Japanese or English"))
    if not reason:
        problems.append(Problem(None, "reason", "say why the report is corrected"))
    if len(text_ja) > MAX_TEXT or len(text_en) > MAX_TEXT or len(reason) > MAX_TEXT:
        problems.append(Problem.of(None, "text_ja", "at most {n} characters", n=MAX_TEXT))
    today = periods.today()
    day = corrected_on or today
    if day > today:
        problems.append(Problem(None, "corrected_on", "the date of the correction cannot be in the future"))
    elif r.published_at is not None and day < periods.japan_date(r.published_at):
        problems.append(Problem(None, "corrected_on", "the date of the correction cannot be before the publication"))
    if problems:
        raise InvalidInput(problems)
    row = RoundErratum(round_id=r.id, entry_id=entry.id if entry else None, text_ja=text_ja, text_en=text_en,
                       reason=reason, corrected_on=day, by=actor.username if actor else "cli")
    session.add(row)
    session.flush()
    audit.record(session, actor, "followup:round:erratum", f"round:{r.id}",
                 {"erratum": row.id, "entry": entry.key if entry else None, "reason": reason})
    return row


def by_entry(rows: list[RoundErratum]) -> dict[int, list[RoundErratum]]:
    """Errata by the id of the entry they correct (the report shows them under the entry)."""
    out: dict[int, list[RoundErratum]] = {}
    for x in rows:
        if x.entry_id is not None:
            out.setdefault(x.entry_id, []).append(x)
    return out


def label(x: RoundErratum) -> str:
    """What an erratum corrects, for lists: "1-1 NPA" or "report"."""
    if x.entry is None:
        return "report"
    m: Measure = x.entry.measure
    return f"{m.code} {x.entry.agency.code}"
