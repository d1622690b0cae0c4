"""Bodies and their meetings: chairs, secretariats and names over time; meetings (joint ones too) with
attendees, agenda, materials, decisions and action items linked to measures."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup.models import DECISION_KINDS, ActionItem, BodyProfile, Decision, Meeting, ReportingRound
from mamoru.plan.models import Agency, Body, Measure, Plan


def office_only(actor: User | None) -> None:
    if actor is not None and actor.role != "coordinator":
        raise PermissionDenied("meetings are recorded by the plan office")


def bodies(session: Session) -> list[tuple[Body, BodyProfile | None]]:
    profiles = {p.body_id: p for p in session.scalars(select(BodyProfile).options(selectinload(BodyProfile.secretariat)))}
    return [(b, profiles.get(b.id)) for b in session.scalars(select(Body).order_by(Body.id))]


def meetings(session: Session, public_only: bool = False) -> list[Meeting]:
    stmt = (select(Meeting).order_by(Meeting.held_on.desc())
            .options(selectinload(Meeting.decisions), selectinload(Meeting.corrections),
                     selectinload(Meeting.actions).selectinload(ActionItem.measure),
                     selectinload(Meeting.actions).selectinload(ActionItem.owner)))
    if public_only:
        stmt = stmt.where(Meeting.public.is_(True))
    return list(session.scalars(stmt))


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    m = session.scalar(select(Meeting).where(Meeting.id == meeting_id).options(
        selectinload(Meeting.decisions), selectinload(Meeting.corrections),
        selectinload(Meeting.actions).selectinload(ActionItem.measure),
        selectinload(Meeting.actions).selectinload(ActionItem.owner)))
    if m is None:
        raise NotFound(f"no meeting {meeting_id}")
    return m


def meeting_problems(session: Session, title_en: str, title_ja: str, body_keys: list[str],
                      materials: list[dict[str, Any]] | None) -> list[Problem]:
    known = set(session.scalars(select(Body.key)))
    problems = [Problem(None, "bodies", f"no body {k!r}") for k in body_keys if k not in known]
    if not body_keys:
        problems.append(Problem(None, "bodies", "name at least one body (several for a joint meeting)"))
    if not (title_en.strip() or title_ja.strip()):
        problems.append(Problem(None, "title", "a title in at least one language"))
    problems += [Problem(None, "materials", f"{x.get('url')!r} is not an http(s) address")
                 for x in materials or [] if not str(x.get("url", "")).startswith(("http://", "https://"))]
    return problems


def record_meeting(session: Session, actor: User | None, held_on: date, title_en: str, title_ja: str,
                   body_keys: list[str], number: int | None = None, attendees: list[dict[str, Any]] | None = None,
                   agenda: list[dict[str, Any]] | None = None, materials: list[dict[str, Any]] | None = None) -> Meeting:
    office_only(actor)
    problems = meeting_problems(session, title_en, title_ja, body_keys, materials)
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
    office_only(actor)
    problems = decision_problems(session, kind, round_id, plan_id, text_en, text_ja)
    if problems:
        raise InvalidInput(problems)
    d = Decision(meeting_id=meeting.id, kind=kind, text_en=text_en.strip(), text_ja=text_ja.strip(),
                 round_id=round_id, plan_id=plan_id)
    session.add(d)
    session.flush()
    audit.record(session, actor, "followup:meeting:decision", f"meeting:{meeting.id}", {"kind": kind})
    return d


NO_DECISION_TEXT = "write what was decided (Japanese or English)"
NO_ACTION_TEXT = "write what is to be done (Japanese or English)"
NO_ACTION_OWNER = "name an owner agency or a due date"


def decision_problems(session: Session, kind: str, round_id: int | None, plan_id: int | None,
                      text_en: str, text_ja: str) -> list[Problem]:
    """Why a decision cannot be kept as given: an unknown kind, round or plan, or no text at all (an
    empty decision is an empty row in the record of what was decided)."""
    problems = []
    if kind not in DECISION_KINDS:
        problems.append(Problem.of(None, "kind", "one of {kinds}", kinds=", ".join(DECISION_KINDS)))
    if not (text_en.strip() or text_ja.strip()):
        problems.append(Problem(None, "text", NO_DECISION_TEXT))
    if round_id is not None and session.get(ReportingRound, round_id) is None:
        problems.append(Problem.of(None, "round_id", "no round {round}", round=round_id))
    if plan_id is not None and session.get(Plan, plan_id) is None:
        problems.append(Problem.of(None, "plan_id", "no plan {plan}", plan=plan_id))
    return problems


def action_problems(text_en: str, text_ja: str, owner_code: str | None, due_on: date | None) -> list[Problem]:
    """An action item says what is to be done, and who does it or by when (else nobody is ever
    reminded of it)."""
    problems = []
    if not (text_en.strip() or text_ja.strip()):
        problems.append(Problem(None, "text", NO_ACTION_TEXT))
    if not (owner_code or "").strip() and due_on is None:
        problems.append(Problem(None, "owner", NO_ACTION_OWNER))
    return problems


def add_action(session: Session, actor: User | None, meeting: Meeting, text_en: str, text_ja: str,
               measure_uid: str | None, owner_code: str | None, due_on: date | None) -> ActionItem:
    office_only(actor)
    measure = session.scalar(select(Measure).where(Measure.uid == measure_uid)) if measure_uid else None
    owner = session.scalar(select(Agency).where(Agency.code == owner_code.upper())) if owner_code else None
    problems = action_problems(text_en, text_ja, owner_code, due_on)
    if measure_uid and measure is None:
        problems.append(Problem.of(None, "measure", "no measure {measure}", measure=measure_uid))
    if owner_code and owner is None:
        problems.append(Problem.of(None, "owner", "no agency {agency}", agency=owner_code))
    if problems:
        raise InvalidInput(problems)
    a = ActionItem(meeting_id=meeting.id, text_en=text_en.strip(), text_ja=text_ja.strip(),
                   measure_id=measure.id if measure else None, owner_id=owner.id if owner else None, due_on=due_on)
    session.add(a)
    session.flush()
    audit.record(session, actor, "followup:meeting:action", f"meeting:{meeting.id}",
                 {"measure": measure_uid, "owner": owner_code})
    return a


def update_body(session: Session, actor: User | None, key: str, chair_en: str | None = None,
                chair_ja: str | None = None, secretariat: str | None = None,
                rename: tuple[str, str, date] | None = None) -> tuple[Body, BodyProfile]:
    """Change a body's chair or secretariat, or rename it from a date (the earlier name is kept in its history)."""
    office_only(actor)
    body = session.scalar(select(Body).where(Body.key == key))
    if body is None:
        raise NotFound(f"no body {key!r}")
    prof = session.scalar(select(BodyProfile).where(BodyProfile.body_id == body.id))
    if prof is None:
        prof = BodyProfile(body_id=body.id, names=[])
        session.add(prof)
    if secretariat is not None:
        agency = session.scalar(select(Agency).where(Agency.code == secretariat.upper()))
        if agency is None:
            raise InvalidInput([Problem(None, "secretariat", f"no agency {secretariat!r}")])
        prof.secretariat_id = agency.id
    prof.chair_en = prof.chair_en if chair_en is None else chair_en.strip()
    prof.chair_ja = prof.chair_ja if chair_ja is None else chair_ja.strip()
    if rename is not None:
        prof.names = _renamed(body, list(prof.names or []), *rename)
        body.name_en, body.name_ja = rename[0].strip() or body.name_en, rename[1].strip() or body.name_ja
    session.flush()
    audit.record(session, actor, "followup:body:update", f"body:{key}",
                 {"chair": chair_en or chair_ja, "secretariat": secretariat, "renamed": rename is not None})
    return body, prof


def _renamed(body: Body, names: list[dict[str, Any]], name_en: str, name_ja: str, since: date) -> list[dict[str, Any]]:
    if not (name_en.strip() or name_ja.strip()):
        raise InvalidInput([Problem(None, "name", "a new name in at least one language")])
    if any(n.get("from") and str(n["from"]) >= since.isoformat() for n in names):
        raise InvalidInput([Problem(None, "since", "after the start of the current name")])
    if not names:  # the name so far becomes the first entry of the history
        names = [{"name_en": body.name_en, "name_ja": body.name_ja, "from": "", "to": ""}]
    last = dict(names[-1])
    last["to"] = (since - timedelta(days=1)).isoformat()
    return names[:-1] + [last, {"name_en": name_en.strip() or body.name_en, "name_ja": name_ja.strip() or body.name_ja,
                                "from": since.isoformat(), "to": ""}]


def action_items(session: Session, owner_code: str | None = None, overdue_on: date | None = None,
                 include_done: bool = True) -> list[ActionItem]:
    """Action items by due date (none last), optionally one agency's, or those open and past due on a
    day; never the withdrawn ones."""
    stmt = (select(ActionItem).options(selectinload(ActionItem.measure), selectinload(ActionItem.owner),
                                       selectinload(ActionItem.meeting))
            .where(ActionItem.withdrawn_at.is_(None))  # withdrawn items are only on their meeting's page
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id))
    if owner_code:
        stmt = stmt.join(Agency, ActionItem.owner_id == Agency.id).where(Agency.code == owner_code.upper())
    if overdue_on is not None:
        stmt = stmt.where(ActionItem.done.is_(False), ActionItem.due_on < overdue_on)
    elif not include_done:
        stmt = stmt.where(ActionItem.done.is_(False))
    return list(session.scalars(stmt))


def get_action(session: Session, action_id: int) -> ActionItem:
    a = session.get(ActionItem, action_id)
    if a is None:
        raise NotFound(f"no action item {action_id}")
    return a


def set_action_done(session: Session, actor: User | None, item: ActionItem, done: bool) -> ActionItem:
    """Mark an action item done (or open again): the plan office, or an officer of the owner agency."""
    own = (actor is not None and actor.role == roles.AGENCY_OFFICER and item.owner is not None
           and actor.agency_code == item.owner.code)
    if actor is not None and actor.role != roles.COORDINATOR and not own:
        raise PermissionDenied("the plan office or the owner agency's officers mark an action item done")
    if item.withdrawn_at is not None:
        raise Conflict("action item {id} is already withdrawn", id=item.id)
    item.done = done
    session.flush()
    audit.record(session, actor, "followup:action:done" if done else "followup:action:reopen", f"action:{item.id}")
    return item
