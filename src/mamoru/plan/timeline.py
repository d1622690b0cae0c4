"""Corrections to the governance timeline (cabinet decisions, meetings, the plan's decision).

The timeline is a record of what happened, so a change is a correction: the plan office makes it,
always with a reason, and the audit log keeps the values before and after.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.plan.models import Body, TimelineEvent

PRECISIONS = ("day", "month", "year")
TEXT_FIELDS = ("title_en", "title_ja", "description_en", "description_ja")
_KIND = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


def get_event(session: Session, key: str) -> TimelineEvent:
    e = session.scalar(select(TimelineEvent).where(TimelineEvent.key == key).options(selectinload(TimelineEvent.body)))
    if e is None:
        raise NotFound(f"no timeline event {key!r}")
    return e


def bodies(session: Session) -> list[Body]:
    return list(session.scalars(select(Body).order_by(Body.key)))


def _problems(session: Session, values: dict[str, Any], reason: str) -> list[Problem]:
    problems = []
    if "date" in values and not isinstance(values["date"], date):
        problems.append(Problem(None, "date", "must be a date (YYYY-MM-DD)"))
    if "precision" in values and values["precision"] not in PRECISIONS:
        problems.append(Problem(None, "precision", f"must be one of {', '.join(PRECISIONS)}"))
    if "kind" in values and not _KIND.match(str(values["kind"] or "")):
        problems.append(Problem(None, "kind", "must be lower-case letters, digits and '-' (e.g. cabinet-decision)"))
    for k in ("title_en", "title_ja"):
        if k in values and not str(values[k] or "").strip():
            problems.append(Problem(None, k, "must not be empty"))
    body = values.get("body")
    if body and session.scalar(select(Body).where(Body.key == body)) is None:
        problems.append(Problem(None, "body", f"no body {body!r}"))
    if not (reason or "").strip():
        problems.append(Problem(None, "reason", "a correction needs a reason"))
    return problems


def update_event(session: Session, event: TimelineEvent, actor: User | None, values: dict[str, Any],
                 reason: str) -> dict[str, list[Any]]:
    """Correct a timeline event (date, precision, kind, body, titles, descriptions): plan office only.

    `values` holds only what changes; `body` is a body's key, or "" to remove it. Returns the changes.
    """
    if actor is not None and actor.role != roles.COORDINATOR:
        raise PermissionDenied("only the plan office (coordinator) corrects the timeline")
    problems = _problems(session, values, reason)
    if problems:
        raise InvalidInput(problems)
    changes: dict[str, list[Any]] = {}
    if "date" in values and values["date"] != event.on:
        changes["date"] = [event.on.isoformat(), values["date"].isoformat()]
        event.on = values["date"]
    for k in ("precision", "kind", *TEXT_FIELDS):
        new = str(values[k]).strip() if k in values and values[k] is not None else None
        if new is not None and getattr(event, k) != new:
            changes[k] = [getattr(event, k), new]
            setattr(event, k, new)
    if "body" in values and values["body"] is not None:
        old = event.body.key if event.body else None
        new_key = values["body"] or None
        if old != new_key:
            changes["body"] = [old, new_key]
            event.body = session.scalar(select(Body).where(Body.key == new_key)) if new_key else None
    if changes:
        audit.record(session, actor, "timeline:update", f"timeline:{event.key}",
                     {"reason": reason.strip(), "changes": changes})
    session.flush()
    return changes
