"""The follow-up's reference data, reporting rounds and their entries, built through mamoru.followup."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.followup import entries
from mamoru.followup.models import ReportingRound, RoundEntry
from mamoru.followup.reference import load_reference
from mamoru.followup.rounds import open_round
from mamoru.followup.workflow import Content
from mamoru.plan.models import Agency, Measure

TODAY = date(2024, 6, 1)


def reference(session: Session) -> Session:
    """The shipped follow-up reference data (bodies, indicators, ...) loaded and committed."""
    load_reference(session)
    session.commit()
    return session


def reporting_round(session: Session, years: tuple[int, ...] = (2023,), due: date = date(2024, 7, 31),
                    today: date = TODAY) -> ReportingRound:
    """A round opened by the office for `years`, all entries due on `due`, committed."""
    made = open_round(session, None, list(years), due, today=today)
    session.commit()
    return made


def entry(session: Session, code: str, agency: str) -> RoundEntry:
    """The entry of measure `code` that `agency` answers (in the one round open)."""
    found = session.scalar(select(RoundEntry).join(Measure, RoundEntry.measure_id == Measure.id)
                           .join(Agency, RoundEntry.agency_id == Agency.id)
                           .where(Measure.code == code, Agency.code == agency))
    assert found is not None, (code, agency)
    return found


def accepted_entry(session: Session, code: str, agency: str, ja: str, en: str = "",
                   status: str = "implemented") -> RoundEntry:
    """That entry written (`status`, narratives), submitted and accepted."""
    e = entry(session, code, agency)
    entries.save_entry(session, e, None, Content(status, en, ja, [], []), submit=True)
    entries.accept_entry(session, e, None)
    return e


def entry_code(session: Session, agency: str) -> str:
    """The code of the first measure `agency` answers in the one round open."""
    code = session.scalar(select(Measure.code).join(RoundEntry, RoundEntry.measure_id == Measure.id)
                          .join(Agency, RoundEntry.agency_id == Agency.id).where(Agency.code == agency)
                          .order_by(RoundEntry.id).limit(1))
    assert code is not None, agency
    return code


def public_value(session: Session, ind: Any, period: str, value: float, corrects: Any = None, **fields: Any) -> Any:
    """An indicator value entered by one coordinator and approved by another (public from then on);
    `corrects`: the public value it corrects."""
    from tests.factories.users import user

    from mamoru.followup import indicator_values

    entered, approver = user(session, "coordinator"), user(session, "coordinator")
    v = indicator_values.add_value(session, entered, ind, period, value, corrects=corrects.id if corrects else None,
                                   **fields)
    return indicator_values.approve_value(session, approver, ind, v)
