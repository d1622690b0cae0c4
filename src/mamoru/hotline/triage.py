"""The analysts' queue: find cases by their number, URL or host text, filter them by status, age,
source, immediate danger and who holds them, and take a case (assign it to oneself) or give it back.

One filter serves both doors: the queue page reads it from its query string (so a filtered queue can
be bookmarked) and GET /api/v1/hotline/queue from its query parameters; `parse` refuses a bad value
with the reason, which each door shows in its own way (the page in the reader's language, the API
as a 422).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import InvalidInput, Problem
from mamoru.hotline import vocabulary
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import CaseEvent, HotlineCase, Report
from mamoru.hotline.service import assign

OPEN, ANY = "open", "all"  # status choices beyond the statuses themselves
STATUS_CHOICES = (wf.QUEUED, OPEN, ANY, *(s for s in vocabulary.STATUS if s != wf.QUEUED))
SOURCE_CHOICES = tuple(vocabulary.SOURCE)
DANGER_CHOICES = ("yes", "no")
ASSIGNED_CHOICES = ("me", "nobody", "someone")
MOST_HOURS = 24 * 366 * 10
_NUMBER = re.compile(r"[Cc]?0*([0-9]{1,9})")


@dataclass(frozen=True)
class CaseFilter:
    text: str = ""  # a case number (C0000012 or 12), or part of the URL or host
    status: str = wf.QUEUED
    older_than_hours: int | None = None  # opened more than this many hours ago
    within_hours: int | None = None  # opened within the last this many hours
    source: str = ""  # a report of the case came from this source
    danger: str = ""  # yes: a report says a child may be in immediate danger; no: none does
    assigned: str = ""  # me, nobody, someone

    @property
    def is_default(self) -> bool:
        return self == CaseFilter()

    def query_string(self) -> dict[str, str]:
        """The non-default values, as the page's query parameters."""
        values = {"q": self.text, "status": self.status if self.status != wf.QUEUED else "",
                  "older_than": "" if self.older_than_hours is None else str(self.older_than_hours),
                  "within": "" if self.within_hours is None else str(self.within_hours),
                  "source": self.source, "danger": self.danger, "assigned": self.assigned}
        return {k: v for k, v in values.items() if v}


def _hours(problems: list[Problem], name: str, value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit() or int(value) > MOST_HOURS:
        problems.append(Problem.of(None, name, "a whole number of hours from 0 to {most}", most=MOST_HOURS))
        return None
    return int(value)


def _choice(problems: list[Problem], name: str, value: str | None, choices: tuple[str, ...], default: str = "") -> str:
    value = (value or "").strip()
    if value and value not in choices:
        problems.append(Problem.of(None, name, "choose one of {choices}", choices=", ".join(choices)))
        return default
    return value or default


def parse(values: Mapping[str, str | None]) -> CaseFilter:
    """A filter from the query parameters q, status, older_than, within, source, danger, assigned;
    InvalidInput naming each bad one."""
    problems: list[Problem] = []
    text = (values.get("q") or "").strip()
    if len(text) > 200:
        problems.append(Problem(None, "q", "at most 200 characters"))
    f = CaseFilter(text=text[:200], status=_choice(problems, "status", values.get("status"), STATUS_CHOICES, wf.QUEUED),
                   older_than_hours=_hours(problems, "older_than", values.get("older_than")),
                   within_hours=_hours(problems, "within", values.get("within")),
                   source=_choice(problems, "source", values.get("source"), SOURCE_CHOICES),
                   danger=_choice(problems, "danger", values.get("danger"), DANGER_CHOICES),
                   assigned=_choice(problems, "assigned", values.get("assigned"), ASSIGNED_CHOICES))
    if problems:
        raise InvalidInput(problems)
    return f


def _text_condition(text: str) -> Any:
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found: list[Any] = [HotlineCase.url.ilike(like, escape="\\"), HotlineCase.canonical_url.ilike(like, escape="\\")]
    number = _NUMBER.fullmatch(text)
    if number:
        found.append(HotlineCase.id == int(number.group(1)))
    return or_(*found)


def find(session: Session, f: CaseFilter, viewer: User, limit: int = 200, now: datetime | None = None) -> list[HotlineCase]:
    """The cases the filter lets through: most urgent first, then oldest."""
    now = now or utcnow()
    q = select(HotlineCase)
    if f.status == OPEN:
        q = q.where(HotlineCase.status.in_(wf.OPEN_STATUSES))
    elif f.status != ANY:
        q = q.where(HotlineCase.status == f.status)
    if f.text:
        q = q.where(_text_condition(f.text))
    if f.older_than_hours is not None:
        q = q.where(HotlineCase.opened_at <= now - timedelta(hours=f.older_than_hours))
    if f.within_hours is not None:
        q = q.where(HotlineCase.opened_at >= now - timedelta(hours=f.within_hours))
    if f.source:
        q = q.where(exists().where(Report.case_id == HotlineCase.id, Report.source == f.source))
    if f.danger:
        q = q.where(HotlineCase.immediate_danger.is_(f.danger == "yes"))
    if f.assigned == "me":
        q = q.where(HotlineCase.assigned_to_id == viewer.id)
    elif f.assigned == "nobody":
        q = q.where(HotlineCase.assigned_to_id.is_(None))
    elif f.assigned == "someone":
        q = q.where(HotlineCase.assigned_to_id.is_not(None))
    order = (HotlineCase.priority.desc(), HotlineCase.opened_at, HotlineCase.id)
    return list(session.scalars(q.order_by(*order).limit(limit)))


def take(session: Session, case: HotlineCase, actor: User, mine: bool, now: datetime | None = None) -> None:
    """The analyst takes the case (assigned to her) or gives it back (assigned to nobody); the
    case's history says so."""
    assign(session, case, actor if mine else None, actor)  # audited there
    session.add(CaseEvent(case_id=case.id, at=now or utcnow(), kind="assigned" if mine else "unassigned",
                          actor=actor.username, detail={"to": actor.username if mine else None}))
