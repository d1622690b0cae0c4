"""Corrections of a recorded meeting (date, number, title, bodies, attendees, agenda, materials) and of
its decisions. Like a measure's amendments, each correction is kept with its reason and the values
before and after, and audited: what a meeting decided is never silently rewritten."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, NotFound, Problem
from mamoru.followup.meetings import decision_problems, meeting_problems, office_only
from mamoru.followup.models import Decision, Meeting, MeetingCorrection

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
          changes: dict[str, list[Any]], reason: str) -> None:
    meeting.corrections.append(MeetingCorrection(decision_id=decision.id if decision else None, reason=reason.strip(),
                                                 changes=changes, by=actor.username if actor else "cli"))
    tag, target = (("followup:decision:correct", f"decision:{decision.id}") if decision
                   else ("followup:meeting:correct", f"meeting:{meeting.id}"))
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
        raise NotFound(f"meeting {meeting.id} has no decision {decision_id}")
    return d


def correct_decision(session: Session, actor: User | None, meeting: Meeting, decision: Decision,
                     values: dict[str, Any], reason: str) -> dict[str, list[Any]]:
    """Correct a decision's kind, text or the round or plan it concerns; returns {field: [before, after]}."""
    problems = _start(actor, values, DECISION_FIELDS, reason)
    before = _decision_values(decision)
    after = {**before, **_plain({k: v for k, v in values.items() if k in DECISION_FIELDS})}
    problems += decision_problems(session, after["kind"], after["round_id"], after["plan_id"])
    if problems:
        raise InvalidInput(problems)
    changes = {k: [before[k], after[k]] for k in DECISION_FIELDS if not _same(before[k], after[k])}
    if not changes:
        return {}
    for k, v in after.items():
        setattr(decision, k, v)
    _keep(session, actor, meeting, decision, changes, reason)
    return changes
