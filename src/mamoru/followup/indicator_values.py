"""Entering indicator values and reviewing them: what a statistics office does before a figure is public.

- A value is entered by the plan office as a **draft** and checked (mamoru.followup.indicator_rules):
  period, range, breakdown key, source. A period (and category) that already has a value is refused;
  to change a published figure the new value names the one it **corrects**.
- A second person of the plan office, not the one who entered it, **approves** it: from then on it is
  public (portal page, chart, downloads, public API). An approved correction supersedes the value it
  corrects; both are kept and the public sees "corrects ...".
- A value is **withdrawn** with a reason, never deleted. A withdrawn draft was never public. A withdrawn
  approved value leaves the public figures, and the public page notes the withdrawal (period, date,
  reason) as statistical offices note a withdrawn figure; the value it had corrected, if any, stands
  again.
Figures shipped with the reference data are published ones and load approved.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem, Term
from mamoru.followup import indicator_rules as rules
from mamoru.followup.models import Indicator, IndicatorValue
from mamoru.periods import today as japan_today

VALUE_STATUSES = ("provisional", "final")
REVIEWS = ("draft", "approved", "withdrawn")


def _office(actor: User | None, what: str) -> None:
    if actor is not None and actor.role != roles.COORDINATOR:
        raise PermissionDenied(what)


def _current(ind: Indicator, period: str, category: str) -> list[IndicatorValue]:
    """Values of the period and category that are not withdrawn and not superseded."""
    return [v for v in ind.values if v.period == period and v.category == category
            and v.review != "withdrawn" and v.superseded_by_id is None]


def check_value(ind: Indicator, period: str, value: float, status: str, source: str, category: str,
                corrects: int | None, today: date | None = None) -> list[Problem]:
    """Every reason the value cannot be entered (empty: it can)."""
    problems = [p for p in (rules.period_problem(period, ind.period_type, ind.periodicity, today or japan_today()),
                            rules.value_problem(value, ind.scale),
                            rules.category_problem(category, ind.breakdown or [])) if p]
    if status not in VALUE_STATUSES:
        problems.append(Problem(None, "status", "provisional or final"))
    if not source.strip():
        problems.append(Problem(None, "source", "every value needs its source"))
    if problems:
        return problems
    held = _current(ind, period, category)
    draft = next((v for v in held if v.review == "draft"), None)
    approved = next((v for v in held if v.review == "approved"), None)
    if draft is not None:
        problems.append(Problem.of(None, "period", "{period} already has a value waiting for review (no. {id}): "
                                                   "approve or withdraw it first", period=period, id=draft.id))
    elif corrects is None and approved is not None:
        problems.append(Problem.of(None, "period", "{period} already has a value (no. {id}); to change it, enter "
                                                   "the new value as a correction of no. {id}", period=period,
                                   id=approved.id))
    elif corrects is not None and (approved is None or approved.id != corrects):
        problems.append(Problem.of(None, "corrects", "no. {id} is not the published value of {period}",
                                   id=corrects, period=period))
    return problems


def add_value(session: Session, actor: User | None, ind: Indicator, period: str, value: float, status: str = "final",
              source: str = "", published_on: date | None = None, category: str = "", note: str = "",
              corrects: int | None = None, today: date | None = None) -> IndicatorValue:
    """Enter a value as a draft (the plan office); refused with every problem named."""
    _office(actor, "only the plan office enters indicator values")
    period, category = period.strip(), category.strip()
    problems = check_value(ind, period, float(value), status, source, category, corrects, today)
    if problems:
        raise InvalidInput(problems)
    new = IndicatorValue(indicator_id=ind.id, period=period, value=float(value), status=status,
                         source=source.strip(), published_on=published_on, category=category, note=note.strip(),
                         entered_by=actor.username if actor else "cli", review="draft", corrects_id=corrects)
    session.add(new)
    session.flush()
    audit.record(session, actor, "followup:indicator:value", f"indicator:{ind.code}",
                 {"id": new.id, "period": period, "category": category, "value": value, "status": status,
                  "source": source, "corrects": corrects})
    session.refresh(ind)
    return new


def get_value(session: Session, ind: Indicator, value_id: int) -> IndicatorValue:
    v = session.get(IndicatorValue, value_id)
    if v is None or v.indicator_id != ind.id:
        raise NotFound("indicator {code} has no value no. {id}", code=ind.code, id=value_id)
    return v


def approve_value(session: Session, actor: User | None, ind: Indicator, v: IndicatorValue) -> IndicatorValue:
    """A second person of the plan office approves a draft: it is public from now on."""
    if actor is None:
        raise PermissionDenied("approving needs a named person of the plan office (--as)")
    _office(actor, "only the plan office approves indicator values")
    if v.review != "draft":
        raise Conflict("value no. {id} is {state}: only a draft can be approved", id=v.id,
                       state=Term(v.review, f"review:{v.review}"))
    if v.entered_by == actor.username:
        raise PermissionDenied("a second person approves a value: {user} entered no. {id}", user=actor.username, id=v.id)
    held = [o for o in _current(ind, v.period, v.category) if o.review == "approved"]
    if [o.id for o in held] != ([v.corrects_id] if v.corrects_id else []):
        raise Conflict("the published value of {period} changed since no. {id} was entered: withdraw it and "
                       "enter it again", period=v.period, id=v.id)
    for old in held:
        old.superseded_by_id = v.id
    v.review, v.approved_by, v.approved_at = "approved", actor.username, utcnow()
    audit.record(session, actor, "followup:indicator:approve", f"indicator:{ind.code}",
                 {"id": v.id, "period": v.period, "category": v.category, "value": v.value})
    session.flush()
    session.refresh(ind)
    return v


def withdraw_value(session: Session, actor: User | None, ind: Indicator, v: IndicatorValue,
                   reason: str) -> IndicatorValue:
    """Withdraw a draft or a published value, with its reason; it stays in the history."""
    _office(actor, "only the plan office withdraws indicator values")
    if not reason.strip():
        raise InvalidInput([Problem(None, "reason", "give the reason for withdrawing the value")])
    if v.review == "withdrawn" or v.superseded_by_id is not None:
        raise Conflict("value no. {id} is no longer current: nothing to withdraw", id=v.id)
    for old in ind.values:
        if old.superseded_by_id == v.id:  # the correction is withdrawn: the value it corrected stands again
            old.superseded_by_id = None
    v.review, v.withdrawn_reason = "withdrawn", reason.strip()
    v.withdrawn_by, v.withdrawn_at = (actor.username if actor else "cli"), utcnow()
    audit.record(session, actor, "followup:indicator:withdraw", f"indicator:{ind.code}",
                 {"id": v.id, "period": v.period, "category": v.category, "was": "approved" if v.approved_at else "draft",
                  "reason": v.withdrawn_reason})
    session.flush()
    session.refresh(ind)
    return v


def public_withdrawals(ind: Indicator) -> list[IndicatorValue]:
    """Published values later withdrawn: the public page notes them (a withdrawn draft was never public)."""
    return [v for v in ind.values if v.review == "withdrawn" and v.approved_at is not None]


def drafts(ind: Indicator) -> list[IndicatorValue]:
    return [v for v in ind.values if v.review == "draft"]
