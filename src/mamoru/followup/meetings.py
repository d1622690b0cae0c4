"""Bodies and their meetings: chairs, secretariats and names over time; meetings (joint ones too) with
attendees, agenda, materials, decisions and action items linked to measures."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mamoru import audit
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup.models import DECISION_KINDS, ActionItem, BodyProfile, Decision, Meeting
from mamoru.plan.models import Agency, Body, Measure


def _office(actor: User | None) -> None:
    if actor is not None and actor.role != "coordinator":
        raise PermissionDenied("meetings are recorded by the plan office")


def bodies(session: Session) -> list[tuple[Body, BodyProfile | None]]:
    profiles = {p.body_id: p for p in session.scalars(select(BodyProfile).options(selectinload(BodyProfile.secretariat)))}
    return [(b, profiles.get(b.id)) for b in session.scalars(select(Body).order_by(Body.id))]


def meetings(session: Session, public_only: bool = False) -> list[Meeting]:
    stmt = (select(Meeting).order_by(Meeting.held_on.desc())
            .options(selectinload(Meeting.decisions), selectinload(Meeting.actions).selectinload(ActionItem.measure),
                     selectinload(Meeting.actions).selectinload(ActionItem.owner)))
    if public_only:
        stmt = stmt.where(Meeting.public.is_(True))
    return list(session.scalars(stmt))


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    for m in meetings(session):
        if m.id == meeting_id:
            return m
    raise NotFound(f"no meeting {meeting_id}")


def record_meeting(session: Session, actor: User | None, held_on: date, title_en: str, title_ja: str,
                   body_keys: list[str], number: int | None = None, attendees: list[dict[str, Any]] | None = None,
                   agenda: list[dict[str, Any]] | None = None, materials: list[dict[str, Any]] | None = None) -> Meeting:
    _office(actor)
    known = set(session.scalars(select(Body.key)))
    problems = [Problem(None, "bodies", f"no body {k!r}") for k in body_keys if k not in known]
    if not body_keys:
        problems.append(Problem(None, "bodies", "name at least one body (several for a joint meeting)"))
    if not (title_en.strip() or title_ja.strip()):
        problems.append(Problem(None, "title", "a title in at least one language"))
    if problems:
        raise InvalidInput(problems)
    m = Meeting(held_on=held_on, number=number, title_en=title_en.strip(), title_ja=title_ja.strip(),
                body_keys=body_keys, attendees=attendees or [], agenda=agenda or [], materials=materials or [])
    session.add(m)
    session.flush()
    audit.record(session, actor, "followup:meeting:record", f"meeting:{m.id}", {"bodies": body_keys})
    return m


def add_decision(session: Session, actor: User | None, meeting: Meeting, kind: str, text_en: str, text_ja: str,
                 round_id: int | None = None, plan_id: int | None = None) -> Decision:
    _office(actor)
    if kind not in DECISION_KINDS:
        raise InvalidInput([Problem(None, "kind", f"one of {', '.join(DECISION_KINDS)}")])
    d = Decision(meeting_id=meeting.id, kind=kind, text_en=text_en.strip(), text_ja=text_ja.strip(),
                 round_id=round_id, plan_id=plan_id)
    session.add(d)
    session.flush()
    audit.record(session, actor, "followup:meeting:decision", f"meeting:{meeting.id}", {"kind": kind})
    return d


def add_action(session: Session, actor: User | None, meeting: Meeting, text_en: str, text_ja: str,
               measure_uid: str | None, owner_code: str | None, due_on: date | None) -> ActionItem:
    _office(actor)
    measure = session.scalar(select(Measure).where(Measure.uid == measure_uid)) if measure_uid else None
    owner = session.scalar(select(Agency).where(Agency.code == owner_code.upper())) if owner_code else None
    problems = []
    if measure_uid and measure is None:
        problems.append(Problem(None, "measure", f"no measure {measure_uid!r}"))
    if owner_code and owner is None:
        problems.append(Problem(None, "owner", f"no agency {owner_code!r}"))
    if problems:
        raise InvalidInput(problems)
    a = ActionItem(meeting_id=meeting.id, text_en=text_en.strip(), text_ja=text_ja.strip(),
                   measure_id=measure.id if measure else None, owner_id=owner.id if owner else None, due_on=due_on)
    session.add(a)
    session.flush()
    audit.record(session, actor, "followup:meeting:action", f"meeting:{meeting.id}",
                 {"measure": measure_uid, "owner": owner_code})
    return a
