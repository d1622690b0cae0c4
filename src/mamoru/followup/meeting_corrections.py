"""Corrections of a recorded meeting (date, number, title, bodies, attendees, agenda, materials) and of
its decisions, and the withdrawal of a mistaken decision or action item. Like a measure's
amendments, each correction is kept with its reason and the values before and after, and audited:
what a meeting decided is never silently rewritten, and nothing withdrawn is deleted."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import Conflict, InvalidInput, NotFound, Problem
from mamoru.followup.meetings import decision_problems, meeting_problems, office_only
from mamoru.followup.models import ActionItem, Decision, Meeting, MeetingCorrection

MEETING_FIELDS = ("held_on", "number", "title_en", "title_ja", "bodies", "attendees", "agenda", "materials")
DECISION_FIELDS = ("kind", "text_en", "text_ja", "round_id", "plan_id")


def _meeting_values(m: Meeting) -> dict[str, Any]:
    return {"held_on": m.held_on.isoformat(), "number": m.number, "title_en": m.title_en, "title_ja": m.title_ja,
            "bodies": list(m.body_keys or []), "attendees": list(m.attendees or []), "agenda": list(m.agenda or []),
            "materials": list(m.materials or [])}


def _decision_values(d: Decision) -> dict[str, Any]:
    return {k: getattr(d, k) for k in DECISION_FIELDS}


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values as they are compared and kept: dates as ISO strings, text stripped."""
    out = {}
    for k, v in values.items():
        if isinstance(v, date):
            v = v.isoformat()
        elif isinstance(v, str) and k != "held_on":
            v = v.strip()
        out[k] = v
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal once empty parts of listed items are left out (a form sends `title: ""` where the API sent none)."""
    def bare(v: Any) -> Any:
        if isinstance(v, list):
            return [bare(x) for x in v]
        return {k: x for k, x in v.items() if x not in ("", None)} if isinstance(v, dict) else v
    return bool(bare(a) == bare(b))


def _start(actor: User | None, values: dict[str, Any], fields: tuple[str, ...], reason: str) -> list[Problem]:
    office_only(actor)
    problems = [Problem(None, k, "not a field that can be corrected") for k in values if k not in fields]
    if not reason.strip():
        problems.append(Problem(None, "reason", "a correction needs a reason"))
    return problems


def _keep(session: Session, actor: User | None, meeting: Meeting, decision: Decision | None,
          changes: dict[str, list[Any]], reason: str, action: ActionItem | None = None,
          verb: str = "correct") -> None:
    meeting.corrections.append(MeetingCorrection(decision_id=decision.id if decision else None,
                                                 action_id=action.id if action else None, reason=reason.strip(),
                                                 changes=changes, by=actor.username if actor else "cli"))
    tag, target = ((f"followup:decision:{verb}", f"decision:{decision.id}") if decision
                   else (f"followup:action:{verb}", f"action:{action.id}") if action
                   else (f"followup:meeting:{verb}", f"meeting:{meeting.id}"))
    audit.record(session, actor, tag, target, {"meeting": meeting.id, "reason": reason.strip(), "changes": changes})
    session.flush()


def correct_meeting(session: Session, actor: User | None, meeting: Meeting, values: dict[str, Any],
                    reason: str) -> dict[str, list[Any]]:
    """Change a meeting's record (fields left out keep their value); returns {field: [before, after]}."""
    problems = _start(actor, values, MEETING_FIELDS, reason)
    before = _meeting_values(meeting)
    after = {**before, **_plain({k: v for k, v in values.items() if k in MEETING_FIELDS})}
    try:
        held_on = date.fromisoformat(str(after["held_on"]))
    except ValueError:
        problems.append(Problem(None, "held_on", "an ISO 8601 date (YYYY-MM-DD)"))
        held_on = meeting.held_on
    problems += meeting_problems(session, after["title_en"], after["title_ja"], after["bodies"], after["materials"])
    if problems:
        raise InvalidInput(problems)
    changes = {k: [before[k], after[k]] for k in MEETING_FIELDS if not _same(before[k], after[k])}
    if not changes:
        return {}
    meeting.held_on, meeting.number = held_on, after["number"]
    meeting.title_en, meeting.title_ja = after["title_en"], after["title_ja"]
    meeting.body_keys, meeting.attendees = after["bodies"], after["attendees"]
    meeting.agenda, meeting.materials = after["agenda"], after["materials"]
    _keep(session, actor, meeting, None, changes, reason)
    return changes


def get_decision(session: Session, meeting: Meeting, decision_id: int) -> Decision:
    d = session.scalar(select(Decision).where(Decision.id == decision_id, Decision.meeting_id == meeting.id))
    if d is None:
        raise NotFound("meeting {meeting} has no decision {decision}", meeting=meeting.id, decision=decision_id)
    return d


def correct_decision(session: Session, actor: User | None, meeting: Meeting, decision: Decision,
                     values: dict[str, Any], reason: str) -> dict[str, list[Any]]:
    """Correct a decision's kind, text or the round or plan it concerns; returns {field: [before, after]}."""
    problems = _start(actor, values, DECISION_FIELDS, reason)
    if decision.withdrawn_at is not None:
        raise Conflict("decision {decision} was withdrawn and is no longer corrected", decision=decision.id)
    before = _decision_values(decision)
    after = {**before, **_plain({k: v for k, v in values.items() if k in DECISION_FIELDS})}
    problems += decision_problems(session, after["kind"], after["round_id"], after["plan_id"],
                                  after["text_en"] or "", after["text_ja"] or "")
    if problems:
        raise InvalidInput(problems)
    changes = {k: [before[k], after[k]] for k in DECISION_FIELDS if not _same(before[k], after[k])}
    if not changes:
        return {}
    for k, v in after.items():
        setattr(decision, k, v)
    _keep(session, actor, meeting, decision, changes, reason)
    return changes


WITHDRAW_REASON = "a withdrawal needs a reason"


def _withdraw(session: Session, actor: User | None, meeting: Meeting, item: Decision | ActionItem,
              reason: str) -> dict[str, list[Any]]:
    office_only(actor)
    if item.withdrawn_at is not None:
        raise Conflict("decision {id} is already withdrawn" if isinstance(item, Decision)
                       else "action item {id} is already withdrawn", id=item.id)
    if not reason.strip():
        raise InvalidInput([Problem(None, "reason", WITHDRAW_REASON)])
    item.withdrawn_at, item.withdrawn_by = utcnow(), actor.username if actor else "cli"
    changes: dict[str, list[Any]] = {"withdrawn": [False, True]}  # when: the correction's own time
    if isinstance(item, Decision):
        _keep(session, actor, meeting, item, changes, reason, verb="withdraw")
    else:
        _keep(session, actor, meeting, None, changes, reason, action=item, verb="withdraw")
    return changes


def withdraw_decision(session: Session, actor: User | None, meeting: Meeting, decision: Decision,
                      reason: str) -> dict[str, list[Any]]:
    """Withdraw a mistaken decision: it stays in the record, marked withdrawn, the reason in the
    correction log (audited `followup:decision:withdraw`). Plan office only; 409 if already withdrawn."""
    return _withdraw(session, actor, meeting, decision, reason)


def get_action_of(session: Session, meeting: Meeting, action_id: int) -> ActionItem:
    a = session.scalar(select(ActionItem).where(ActionItem.id == action_id, ActionItem.meeting_id == meeting.id))
    if a is None:
        raise NotFound("meeting {meeting} has no action item {action}", meeting=meeting.id, action=action_id)
    return a


def withdraw_action(session: Session, actor: User | None, meeting: Meeting, action: ActionItem,
                    reason: str) -> dict[str, list[Any]]:
    """Withdraw a mistaken action item: off the action lists and reminders, kept on its meeting's page
    marked withdrawn, the reason in the correction log (audited `followup:action:withdraw`)."""
    return _withdraw(session, actor, meeting, action, reason)
