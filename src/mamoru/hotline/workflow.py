"""The life of a hotline case as a pure transition table, plus the pure rules around it.

No database or web imports: the service asks `next_status()` what a step leads to, and
`route_after_assessment()` which step an assessment is. While the police hold a case no automation
touches it: the worker (automation.run_due) claims every case it works on only if it is not held.

    queued --assess(actionable, Japan)--> referral_pending --refer--> notice_pending
        --notice_sent--> removal_pending --verified_removed--> removed --reappeared--> removal_pending
    (verified_removed: two checks at least 12 hours apart found it gone, or, for a URL that reappeared
    before, an analyst confirmed it after they did: removal_check_step)
    queued --assess(actionable, abroad)--> forward_pending --forwarded--> removal_pending
    queued --assess(not actionable)--> closed --reopen--> queued
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

QUEUED = "queued"
REFERRAL_PENDING = "referral_pending"
NOTICE_PENDING = "notice_pending"
FORWARD_PENDING = "forward_pending"
REMOVAL_PENDING = "removal_pending"
REMOVED = "removed"
CLOSED = "closed"

STATUSES = (QUEUED, REFERRAL_PENDING, NOTICE_PENDING, FORWARD_PENDING, REMOVAL_PENDING, REMOVED, CLOSED)
OPEN_STATUSES = frozenset({QUEUED, REFERRAL_PENDING, NOTICE_PENDING, FORWARD_PENDING, REMOVAL_PENDING})

# Verdicts of an assessment (labels are translated in the UI).
CSAM = "csam"  # illegal child sexual abuse material (child pornography)
SOLICITATION = "solicitation"  # solicitation of child prostitution, ads of businesses focused on children
HARMFUL = "harmful"  # harmful but not illegal
NOT_ILLEGAL = "not_illegal"
UNREACHABLE = "unreachable"
VERDICTS = (CSAM, SOLICITATION, HARMFUL, NOT_ILLEGAL, UNREACHABLE)
ACTIONABLE = frozenset({CSAM, SOLICITATION})

# Steps (events) that move a case.
ASSESS_DOMESTIC = "assess_actionable_domestic"
ASSESS_ABROAD = "assess_actionable_abroad"
ASSESS_NO_ACTION = "assess_no_action"
REFER = "refer"
NOTICE_SENT = "notice_sent"
FORWARDED = "forwarded"
VERIFIED_REMOVED = "verified_removed"
REAPPEARED = "reappeared"
REOPEN = "reopen"

_ASSESSABLE = (QUEUED, REFERRAL_PENDING, NOTICE_PENDING, FORWARD_PENDING, REMOVAL_PENDING, CLOSED)

TRANSITIONS: dict[tuple[str, str], str] = {
    **{(s, ASSESS_DOMESTIC): REFERRAL_PENDING for s in (QUEUED, CLOSED, FORWARD_PENDING)},
    **{(s, ASSESS_ABROAD): FORWARD_PENDING for s in (QUEUED, CLOSED, REFERRAL_PENDING)},
    **{(s, ASSESS_NO_ACTION): CLOSED for s in _ASSESSABLE},
    # A reassessment that keeps the case actionable where it already is leaves it there.
    (REFERRAL_PENDING, ASSESS_DOMESTIC): REFERRAL_PENDING,
    (NOTICE_PENDING, ASSESS_DOMESTIC): NOTICE_PENDING,
    (REMOVAL_PENDING, ASSESS_DOMESTIC): REMOVAL_PENDING,
    (FORWARD_PENDING, ASSESS_ABROAD): FORWARD_PENDING,
    (REMOVAL_PENDING, ASSESS_ABROAD): REMOVAL_PENDING,
    (NOTICE_PENDING, ASSESS_ABROAD): FORWARD_PENDING,
    (REFERRAL_PENDING, REFER): NOTICE_PENDING,
    (NOTICE_PENDING, NOTICE_SENT): REMOVAL_PENDING,
    (REMOVAL_PENDING, NOTICE_SENT): REMOVAL_PENDING,  # a re-send
    (FORWARD_PENDING, FORWARDED): REMOVAL_PENDING,
    (REMOVAL_PENDING, VERIFIED_REMOVED): REMOVED,
    (REMOVED, REAPPEARED): REMOVAL_PENDING,
    (CLOSED, REOPEN): QUEUED,
}


class TransitionRefused(ValueError):
    """The step does not apply to a case in this status."""


def next_status(status: str, event: str) -> str:
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise TransitionRefused(f"a case that is {status} cannot take the step {event}") from None


def allowed_events(status: str) -> list[str]:
    return sorted(e for (s, e) in TRANSITIONS if s == status)


def route_after_assessment(verdict: str, hosting_country: str | None) -> str:
    """Actionable material hosted in Japan goes to the police first; abroad, to the partner hotline."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; choose one of {', '.join(VERDICTS)}")
    if verdict not in ACTIONABLE:
        return ASSESS_NO_ACTION
    if (hosting_country or "").upper() in ("JP", ""):
        return ASSESS_DOMESTIC
    return ASSESS_ABROAD


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


# --- what a reporter may learn with her receipt -----------------------------------------------------
# One of three words and nothing more (no verdict, no URL, no case number): received (also while the
# report waits in the inbox, status None), assessed (an analyst has looked: not actionable, or
# actionable and not yet passed on), acted on (passed to the police or the partner hotline abroad,
# a deletion request sent, or removed). While the police hold a case it says "assessed": the state
# must not tell someone who reported his own address that the police have it.

RECEIVED = "received"
ASSESSED = "assessed"
ACTED_ON = "acted_on"
PUBLIC_STATUSES = (RECEIVED, ASSESSED, ACTED_ON)
PUBLIC_STATUS: dict[str, str] = {
    QUEUED: RECEIVED,
    CLOSED: ASSESSED, REFERRAL_PENDING: ASSESSED, FORWARD_PENDING: ASSESSED,
    NOTICE_PENDING: ACTED_ON, REMOVAL_PENDING: ACTED_ON, REMOVED: ACTED_ON,
}


def public_status(status: str | None, police_hold: bool) -> str:
    """The reporter's word for a case in `status` (None: the report is still in the inbox)."""
    if status is None:
        return RECEIVED
    word = PUBLIC_STATUS[status]
    return ASSESSED if word == ACTED_ON and police_hold else word


# --- when a removal counts ------------------------------------------------------------------------
# A site can answer the checker (it says who it is) with 404 and serve the content to everyone else.
# So one "gone" answer is not a removal: it makes the case "removal seen once, to confirm"; a second
# "gone" answer at least CONFIRM_REMOVAL_AFTER later confirms it, and a "present" answer in between
# starts over. A URL that already reappeared once is confirmed removed again only by an analyst,
# after the checks agree.

CONFIRM_REMOVAL_AFTER = timedelta(hours=12)

SEEN_ONCE = "seen_once"  # first "gone" answer: to confirm
CONFIRMED = "confirmed"  # the second, 12 hours or more after the first: verified removed
AWAITS_ANALYST = "awaits_analyst"  # the second, for a URL that reappeared before: an analyst confirms
NOT_CONFIRMED = "not_confirmed"  # "present" while a removal was seen: start over
BACK = "reappeared"  # "present" while removed


def removal_check_step(status: str, outcome: str, seen_at: datetime | None, agreed_at: datetime | None,
                       reappearances: int, now: datetime) -> str | None:
    """What one removal check's outcome (present, removed, error, ...) does to a case; None: nothing."""
    if status == REMOVAL_PENDING and outcome == "removed":
        if seen_at is None:
            return SEEN_ONCE
        if agreed_at is None and now - seen_at >= CONFIRM_REMOVAL_AFTER:
            return CONFIRMED if reappearances == 0 else AWAITS_ANALYST
        return None
    if outcome == "present":
        if status == REMOVED:
            return BACK
        if status == REMOVAL_PENDING and seen_at is not None:
            return NOT_CONFIRMED
    return None


# --- triage priority and service levels -----------------------------------------------------------

CONTENT_TYPE_WEIGHT = {"video": 30, "image": 30, "live": 40, "text": 10, "other": 5, "": 0}


def priority(immediate_danger: bool, trusted_flagger: bool, content_type: str) -> int:
    """Higher first: a child possibly in immediate danger, then trusted flaggers, then content type.
    Within one priority the queue is ordered by age (oldest first)."""
    return (1000 if immediate_danger else 0) + (100 if trusted_flagger else 0) + CONTENT_TYPE_WEIGHT.get(content_type, 0)


@dataclass(frozen=True)
class ServiceLevels:
    assess_hours: float = 24.0
    danger_assess_hours: float = 1.0
    resend_hours: float = 24.0
    escalate_days: float = 7.0
    check_hours: float = 6.0


def assessment_due(opened_at: datetime, immediate_danger: bool, levels: ServiceLevels) -> datetime:
    return opened_at + timedelta(hours=levels.danger_assess_hours if immediate_danger else levels.assess_hours)


def should_escalate(first_notice_at: datetime | None, escalated: bool, now: datetime, levels: ServiceLevels) -> bool:
    return first_notice_at is not None and not escalated and now - first_notice_at >= timedelta(days=levels.escalate_days)
