"""Hotline case work: triage queue, assessment and quality assurance, tracing, police referral and
hold, forwarding abroad, and recording what removal checks found.

Every step goes through workflow.next_status() and leaves a CaseEvent and an audit event. Reads of
a case by staff are audited too (hotline cases are sensitive records).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem, Term
from mamoru.hotline import to_blocklist, vocabulary
from mamoru.hotline import workflow as wf
from mamoru.hotline.addresses import address_problem
from mamoru.hotline.checker import CheckResult, RemovalChecker
from mamoru.hotline.models import (
    Assessment,
    CaseEvent,
    ContentHash,
    HotlineCase,
    Label,
    PartnerForward,
    PoliceReferral,
    Provider,
    RemovalCheck,
)
from mamoru.hotline.tracing import Resolver, trace
from mamoru.matching.hashing import hamming_distance
from mamoru.matching.index import MATCH_DISTANCE
from mamoru.plan.models import DefinitionTerm

ANALYST_ROLES = (roles.ANALYST, roles.SENIOR_ANALYST)
HASH_ALGORITHMS = {"pdq": 64, "md5": 32, "sha1": 40, "sha256": 64}
DEFAULT_LABELS = {
    "severity": [("a", "Category A (most severe)", "カテゴリーA（最も重大）"), ("b", "Category B", "カテゴリーB"),
                 ("c", "Category C", "カテゴリーC")],
    "age_band": [("infant", "Infant or toddler (0-2)", "乳幼児（0〜2歳）"), ("prepubescent", "Prepubescent (3-12)", "思春期前（3〜12歳）"),
                 ("pubescent", "Pubescent (13-17)", "思春期（13〜17歳）"), ("unknown", "Age unclear", "年齢不明")],
}


def get_case(session: Session, case_id: int) -> HotlineCase:
    case = session.get(HotlineCase, case_id)
    if case is None:
        raise NotFound("no hotline case {case}", case=case_id)
    return case


def read_case(session: Session, case_id: int, actor: User) -> HotlineCase:
    case = get_case(session, case_id)
    audit.record_read(session, actor, "hotline:case", f"hotline:case:{case.id}")
    return case


def _event(session: Session, case: HotlineCase, kind: str, actor: User | str | None, now: datetime,
           before: str | None = None, detail: dict[str, object] | None = None) -> None:
    name = actor.username if isinstance(actor, User) else (actor or "system")
    session.add(CaseEvent(case_id=case.id, at=now, kind=kind, actor=name, from_status=before,
                          to_status=case.status if before is not None else None, detail=detail or {}))


def _next_status(case: HotlineCase, event: str) -> str:
    """The status after `event`; a step that does not apply now is a Conflict (409 at every door)."""
    try:
        return wf.next_status(case.status, event)
    except wf.TransitionRefused:
        raise Conflict("a case that is {status} cannot take the step {step}",
                       status=Term(case.status, vocabulary.STATUS.get(case.status)),
                       step=Term(event, vocabulary.EVENT.get(event))) from None


def _move(session: Session, case: HotlineCase, event: str, actor: User | str | None, now: datetime,
          detail: dict[str, object] | None = None) -> None:
    before = case.status
    case.status = _next_status(case, event)
    if case.status in (wf.CLOSED, wf.REMOVED):
        case.closed_at = now
    elif before in (wf.CLOSED, wf.REMOVED):
        case.closed_at = None
    _event(session, case, event, actor, now, before, detail)
    audit.record(session, actor if isinstance(actor, User) else None, f"hotline:case:{event}",
                 f"hotline:case:{case.id}", {"from": before, "to": case.status, **(detail or {})})


def queue(session: Session, limit: int = 200, assigned_to: User | None = None) -> list[HotlineCase]:
    """Cases waiting for assessment: most urgent first, then oldest."""
    q = select(HotlineCase).where(HotlineCase.status == wf.QUEUED)
    if assigned_to is not None:
        q = q.where(HotlineCase.assigned_to_id == assigned_to.id)
    return list(session.scalars(q.order_by(HotlineCase.priority.desc(), HotlineCase.opened_at, HotlineCase.id).limit(limit)))


def open_cases(session: Session, limit: int = 200) -> list[HotlineCase]:
    q = select(HotlineCase).where(HotlineCase.status.in_(wf.OPEN_STATUSES - {wf.QUEUED}))
    return list(session.scalars(q.order_by(HotlineCase.opened_at.desc()).limit(limit)))


def assign(session: Session, case: HotlineCase, analyst: User | None, actor: User) -> None:
    if analyst is not None and analyst.role not in ANALYST_ROLES:
        raise InvalidInput("{user} is not an analyst", user=analyst.username)
    case.assigned_to_id = analyst.id if analyst else None
    audit.record(session, actor, "hotline:case:assign", f"hotline:case:{case.id}",
                 {"to": analyst.username if analyst else None})


def labels(session: Session, kind: str) -> list[Label]:
    found = list(session.scalars(select(Label).where(Label.kind == kind, Label.active).order_by(Label.position)))
    if found or session.scalar(select(func.count()).select_from(Label).where(Label.kind == kind)):
        return found
    for pos, (code, en, ja) in enumerate(DEFAULT_LABELS.get(kind, []), start=1):
        session.add(Label(kind=kind, code=code, title_en=en, title_ja=ja, position=pos))
    session.flush()
    return list(session.scalars(select(Label).where(Label.kind == kind).order_by(Label.position)))


def legal_bases(session: Session) -> list[DefinitionTerm]:
    return list(session.scalars(select(DefinitionTerm).order_by(DefinitionTerm.position)))


def _check_assessment(session: Session, verdict: str, legal_basis: str | None, severity: str | None,
                      age_band: str | None, hosting_country: str | None) -> None:
    problems: list[Problem] = []
    if verdict not in wf.VERDICTS:
        problems.append(Problem.of(None, "verdict", "choose one of {choices}", choices=", ".join(wf.VERDICTS)))
    if legal_basis and session.scalar(select(DefinitionTerm.id).where(DefinitionTerm.code == legal_basis)) is None:
        problems.append(Problem.of(None, "legal_basis", "not one of the plan's definitions: {code!r}", code=legal_basis))
    if verdict in wf.ACTIONABLE and not legal_basis:
        problems.append(Problem(None, "legal_basis", "an illegal verdict needs its legal basis (the plan's definition)"))
    for kind, code in (("severity", severity), ("age_band", age_band)):
        if code and code not in {lb.code for lb in labels(session, kind)}:
            problems.append(Problem.of(None, kind, "unknown label {code!r}", code=code))
    if hosting_country and (len(hosting_country) != 2 or not hosting_country.isalpha()):
        problems.append(Problem(None, "hosting_country", "a two-letter country code such as JP"))
    if problems:
        raise InvalidInput(problems)


def assess(session: Session, case: HotlineCase, actor: User | str, verdict: str, *, legal_basis: str | None = None,
           content_type: str = "", severity: str | None = None, age_band: str | None = None,
           hosting_country: str | None = None, note: str = "", kind: str = "analyst",
           overturns: Assessment | None = None, now: datetime | None = None) -> Assessment:
    now = now or utcnow()
    country = (hosting_country or case.hosting_country or "").upper() or None
    _check_assessment(session, verdict, legal_basis or None, severity or None, age_band or None, country)
    step = wf.route_after_assessment(verdict, country)
    _next_status(case, step)  # refused before anything is written
    name = actor.username if isinstance(actor, User) else actor
    a = Assessment(case_id=case.id, at=now, analyst=name, verdict=verdict, legal_basis=legal_basis or None,
                   content_type=content_type, severity=severity or None, age_band=age_band or None,
                   hosting_country=country, note=note, kind=kind, overturns_id=overturns.id if overturns else None)
    session.add(a)
    session.flush()
    case.verdict, case.hosting_country = verdict, country
    if case.first_assessed_at is None:
        case.first_assessed_at = now
    _move(session, case, step, actor if isinstance(actor, User) else name, now,
          {"verdict": verdict, "assessment": a.id, "kind": kind})
    for r in case.reports:
        if r.auto_verdict is None or kind != "analyst":
            r.auto_verdict = verdict
    if verdict in wf.ACTIONABLE:
        _label_same_content(session, case, a, now)
    return a


def _label_same_content(session: Session, case: HotlineCase, source: Assessment, now: datetime) -> None:
    """Queued cases holding a hash of this case's content take this assessment: no analyst looks twice."""
    for other_id in matching_cases(session, case.id):
        other = get_case(session, other_id)
        if other.status == wf.QUEUED:
            assess(session, other, "system", source.verdict, legal_basis=source.legal_basis,
                   content_type=source.content_type, severity=source.severity, age_band=source.age_band,
                   hosting_country=other.hosting_country, note=f"labelled from case {case.number} by hash",
                   kind="automatic", now=now)
            other.labelled_from_case_id = case.id


def matching_cases(session: Session, case_id: int) -> list[int]:
    """Other cases with the same content: equal cryptographic hash, or PDQ within the match threshold."""
    mine = list(session.scalars(select(ContentHash).where(ContentHash.case_id == case_id)))
    found: set[int] = set()
    for h in mine:
        if h.algorithm == "pdq":
            others = session.execute(select(ContentHash.case_id, ContentHash.value).where(
                ContentHash.algorithm == "pdq", ContentHash.case_id != case_id))
            found |= {cid for cid, v in others if hamming_distance(v, h.value) <= MATCH_DISTANCE}
        else:
            found |= set(session.scalars(select(ContentHash.case_id).where(
                ContentHash.algorithm == h.algorithm, ContentHash.value == h.value, ContentHash.case_id != case_id)))
    return sorted(found)


def add_hash(session: Session, case: HotlineCase, actor: User, algorithm: str, value: str,
             now: datetime | None = None) -> ContentHash:
    """Record a hash from the analyst's environment; a queued case whose content was assessed
    elsewhere is labelled from that earlier assessment."""
    now = now or utcnow()
    algorithm, value = algorithm.lower().strip(), value.lower().strip()
    if HASH_ALGORITHMS.get(algorithm) != len(value) or any(c not in "0123456789abcdef" for c in value):
        raise InvalidInput([Problem.of(None, "value", "a {algorithm} hash is {digits} hex digits", algorithm=algorithm,
                                       digits=HASH_ALGORITHMS.get(algorithm, "?"))])
    existing = session.scalars(select(ContentHash).where(ContentHash.case_id == case.id, ContentHash.algorithm == algorithm,
                                                         ContentHash.value == value)).first()
    if existing is not None:
        return existing
    h = ContentHash(case_id=case.id, algorithm=algorithm, value=value, recorded_by=actor.username, at=now)
    session.add(h)
    session.flush()
    audit.record(session, actor, "hotline:hash:add", f"hotline:case:{case.id}", {"algorithm": algorithm, "value": value})
    if case.status == wf.QUEUED:
        for other_id in matching_cases(session, case.id):
            other = get_case(session, other_id)
            earlier = other.assessments[-1] if other.assessments else None
            if earlier is not None and earlier.verdict in wf.ACTIONABLE:
                assess(session, case, "system", earlier.verdict, legal_basis=earlier.legal_basis,
                       content_type=earlier.content_type, severity=earlier.severity, age_band=earlier.age_band,
                       hosting_country=case.hosting_country, note=f"labelled from case {other.number} by hash",
                       kind="automatic", now=now)
                case.labelled_from_case_id = other.id
                break
    return h


# --- quality assurance -----------------------------------------------------------------------------

def qa_sample(session: Session, size: int, seed: int | None = None) -> list[Assessment]:
    pending = list(session.scalars(select(Assessment).where(Assessment.review_outcome.is_(None),
                                                            Assessment.kind == "analyst").order_by(Assessment.id)))
    return random.Random(seed).sample(pending, min(size, len(pending)))


def review(session: Session, assessment: Assessment, reviewer: User, upheld: bool, reason: str,
           new_verdict: str | None = None, legal_basis: str | None = None, now: datetime | None = None) -> Assessment | None:
    """A senior analyst upholds or overturns an assessment; overturning needs a reason and a verdict."""
    now = now or utcnow()
    if reviewer.role != roles.SENIOR_ANALYST:
        raise PermissionDenied("quality assurance is done by senior analysts")
    if assessment.analyst == reviewer.username:
        raise PermissionDenied("a senior analyst does not review their own assessment")
    if assessment.review_outcome is not None:
        raise Conflict("this assessment was already reviewed")
    if not upheld and (not reason.strip() or not new_verdict):
        raise InvalidInput([Problem(None, "reason", "overturning needs a reason and the new verdict")])
    assessment.reviewed_by, assessment.reviewed_at = reviewer.username, now
    assessment.review_outcome, assessment.review_reason = ("upheld" if upheld else "overturned"), reason.strip()
    audit.record(session, reviewer, "hotline:assessment:review", f"hotline:case:{assessment.case_id}",
                 {"assessment": assessment.id, "outcome": assessment.review_outcome, "reason": reason.strip()})
    if upheld:
        return None
    case = get_case(session, assessment.case_id)
    return assess(session, case, reviewer, new_verdict or "", legal_basis=legal_basis or assessment.legal_basis,
                  content_type=assessment.content_type, severity=assessment.severity, age_band=assessment.age_band,
                  hosting_country=assessment.hosting_country, note=reason.strip(), kind="qa_overturn",
                  overturns=assessment, now=now)


# --- tracing, police, forwarding ---------------------------------------------------------------------

def apply_trace(session: Session, case: HotlineCase, resolver: Resolver, actor: User | None, now: datetime | None = None) -> None:
    import httpx

    now = now or utcnow()
    host = httpx.URL(case.url if "://" in case.url else "http://" + case.url).host
    t = trace(session, resolver, host)
    case.addresses, case.network, case.traced_at = t.addresses, t.network, now
    case.provider_id = t.provider.id if t.provider else None
    if t.country and not case.hosting_country:
        case.hosting_country = t.country
    _event(session, case, "traced", actor, now, detail={"addresses": t.addresses, "network": t.network,
                                                        "country": t.country, "problem": t.problem})
    audit.record(session, actor, "hotline:case:trace", f"hotline:case:{case.id}", {"network": t.network, "country": t.country})


def refer_to_police(session: Session, case: HotlineCase, actor: User, *, police_unit: str = "", reference: str = "",
                    hold: bool = False, note: str = "", now: datetime | None = None) -> PoliceReferral:
    now = now or utcnow()
    _move(session, case, wf.REFER, actor, now, {"police_unit": police_unit, "reference": reference, "hold": hold})
    ref = PoliceReferral(case_id=case.id, at=now, by=actor.username, police_unit=police_unit, reference=reference,
                         hold_requested=hold, note=note)
    session.add(ref)
    if hold:
        set_hold(session, case, actor, True, "requested with the referral", now)
    else:
        case.next_notice_at = now
    return ref


def set_hold(session: Session, case: HotlineCase, actor: User, hold: bool, reason: str, now: datetime | None = None) -> None:
    """A police hold stops all automatic action on the case (notices, re-sends, checks): automation
    could tip off a suspect. Releasing it lets due work resume."""
    now = now or utcnow()
    if case.police_hold == hold:
        return
    case.police_hold = hold
    if not hold:
        if case.status == wf.NOTICE_PENDING:
            case.next_notice_at = now
        if case.status in (wf.REMOVAL_PENDING, wf.REMOVED):
            case.next_check_at = now
    _event(session, case, "police_hold" if hold else "police_release", actor, now, detail={"reason": reason})
    audit.record(session, actor, "hotline:case:hold" if hold else "hotline:case:release", f"hotline:case:{case.id}",
                 {"reason": reason})


def forward_abroad(session: Session, case: HotlineCase, actor: User, partner: str, reference: str = "",
                   now: datetime | None = None) -> PartnerForward:
    now = now or utcnow()
    if not partner.strip():
        raise InvalidInput([Problem(None, "partner", "name the partner hotline")])
    _move(session, case, wf.FORWARDED, actor, now, {"partner": partner.strip(), "country": case.hosting_country})
    fwd = PartnerForward(case_id=case.id, at=now, by=actor.username, country=case.hosting_country or "",
                         partner=partner.strip(), reference=reference)
    session.add(fwd)
    case.next_check_at = now
    return fwd


def set_guidance_route(session: Session, case: HotlineCase, actor: User, route: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    case.guidance_route = route.strip()
    _event(session, case, "guidance_route", actor, now, detail={"route": route.strip()})
    audit.record(session, actor, "hotline:case:guidance", f"hotline:case:{case.id}", {"route": route.strip()})


# --- removal checks ----------------------------------------------------------------------------------

KEEP_CHECKING_REMOVED = timedelta(days=90)


def record_check(session: Session, case: HotlineCase, result: CheckResult, check_hours: float,
                 now: datetime | None = None, by: str = "system") -> RemovalCheck:
    """Store a check and apply what it says (workflow.removal_check_step): the first "gone" answer
    makes the removal "seen once, to confirm"; a second one at least 12 hours later verifies the
    removal and closes the case, or, for a URL that reappeared before, leaves it for an analyst to
    confirm (confirm_removal); a "present" answer starts over, and reopens a removed case."""
    now = now or utcnow()
    row = RemovalCheck(case_id=case.id, at=now, outcome=result.outcome, status_code=result.status_code,
                       method=result.method, redirects=result.redirects, detail=result.detail[:2000],
                       reason=result.reason, reason_params={k: v[:500] for k, v in result.params.items()} or None, by=by)
    session.add(row)
    case.last_check_at, case.last_check_outcome = now, result.outcome
    step = wf.removal_check_step(case.status, result.outcome, case.removal_seen_at, case.removal_agreed_at,
                                 case.reappearances, now)
    detail: dict[str, object] = {"status": result.status_code, "check": row.outcome}
    if step == wf.SEEN_ONCE:
        case.removal_seen_at = now
        _event(session, case, "removal_seen", "system", now,
               detail={**detail, "confirm_from": (now + wf.CONFIRM_REMOVAL_AFTER).isoformat()})
    elif step == wf.CONFIRMED:
        _confirm_removal(session, case, "system", now, {**detail, "seen_at": _iso(case.removal_seen_at)})
    elif step == wf.AWAITS_ANALYST:
        case.removal_agreed_at = now
        _event(session, case, "removal_awaits_analyst", "system", now,
               detail={**detail, "seen_at": _iso(case.removal_seen_at), "reappearances": case.reappearances})
        audit.record(session, None, "hotline:case:removal-awaits-analyst", f"hotline:case:{case.id}",
                     {"seen_at": _iso(case.removal_seen_at), "reappearances": case.reappearances})
    elif step == wf.NOT_CONFIRMED:
        _event(session, case, "removal_not_confirmed", "system", now,
               detail={**detail, "seen_at": _iso(case.removal_seen_at)})
        case.removal_seen_at = case.removal_agreed_at = None
    elif step == wf.BACK:
        removed_at = case.removed_at  # the re-sent request says when it had been removed (notices.py)
        case.reappearances += 1
        case.removed_at = case.removal_seen_at = case.removal_agreed_at = None
        case.removal_confirmed_at, case.removal_confirmed_by = None, None
        case.next_notice_at = now
        _move(session, case, wf.REAPPEARED, by, now, {"status": result.status_code, "removed_at": _iso(removed_at)})
    slower = case.status == wf.REMOVED
    if slower and case.first_removed_at and now - case.first_removed_at > KEEP_CHECKING_REMOVED:
        case.next_check_at = None
    else:
        case.next_check_at = now + timedelta(hours=check_hours * (4 if slower else 1))
    return row


CHECKED_STATUSES = (wf.REMOVAL_PENDING, wf.REMOVED)  # the statuses the worker checks too


def check_removal_now(session: Session, case: HotlineCase, checker: RemovalChecker, check_hours: float, actor: User,
                      now: datetime | None = None) -> RemovalCheck:
    """An analyst's removal check, now: the worker's checker (the same address guards) and the same
    rules (record_check: it counts towards the two checks 12 hours apart like any other), with the
    analyst named on the check. Refused under a police hold and for a case not waiting for removal
    or removed. The case row is locked while checking, so the worker does not check it at once too."""
    if actor.role not in ANALYST_ROLES:
        raise PermissionDenied("an analyst asks for removal checks")
    session.refresh(case, with_for_update=True)
    if case.police_hold:
        raise PermissionDenied("the police asked to hold this case: no removal check is made")
    if case.status not in CHECKED_STATUSES:
        raise Conflict("a case that is {status} is not checked for removal: only a case waiting for removal or "
                       "removed is", status=Term(case.status, vocabulary.STATUS.get(case.status)))
    result = checker.check(case.url)
    row = record_check(session, case, result, check_hours, now or utcnow(), by=actor.username)
    session.flush()
    audit.record(session, actor, "hotline:case:check-now", f"hotline:case:{case.id}",
                 {"check": row.id, "outcome": row.outcome, "status": row.status_code, "reason": row.reason})
    return row


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _confirm_removal(session: Session, case: HotlineCase, actor: User | str, now: datetime,
                     detail: dict[str, object]) -> None:
    """Verified removed: gone since the first "gone" answer of the run."""
    case.removed_at = case.removal_seen_at or now
    case.first_removed_at = case.first_removed_at or case.removed_at
    case.removal_confirmed_at = now
    case.removal_confirmed_by = actor.username if isinstance(actor, User) else "checks"
    case.removal_agreed_at = None
    case.next_notice_at = None
    _move(session, case, wf.VERIFIED_REMOVED, actor, now, detail)


def confirm_removal(session: Session, case: HotlineCase, actor: User, note: str = "",
                    now: datetime | None = None) -> to_blocklist.SyncResult:
    """An analyst confirms the removal of a URL that reappeared before, once two checks at least 12
    hours apart found it gone again (audited as hotline:case:verified_removed, with the analyst).
    The blocking list then follows at once: the case's URL entries leave it."""
    now = now or utcnow()
    if actor.role not in ANALYST_ROLES:
        raise PermissionDenied("an analyst confirms removals")
    if case.status != wf.REMOVAL_PENDING or case.removal_agreed_at is None:
        raise Conflict("case {case}: nothing to confirm; an analyst confirms the removal of a URL that "
                       "reappeared before, once two removal checks at least 12 hours apart found it gone",
                       case=case.number)
    _confirm_removal(session, case, actor, now, {"confirmed_by_analyst": actor.username, "note": note.strip()[:2000],
                                                 "seen_at": _iso(case.removal_seen_at),
                                                 "checks_agreed_at": _iso(case.removal_agreed_at)})
    session.flush()
    return to_blocklist.sync_case(session, actor, case, now.date())


def providers(session: Session) -> list[Provider]:
    return list(session.scalars(select(Provider).order_by(Provider.name)))


def add_provider(session: Session, actor: User | None, name: str, abuse_email: str, language: str = "ja",
                 country: str = "JP", networks: list[str] | None = None, domains: list[str] | None = None) -> Provider:
    problems = []
    if not name.strip():
        problems.append(Problem(None, "name", "a name is required"))
    address = address_problem(abuse_email)
    if address is not None:
        problems.append(Problem(None, "abuse_email", address))
    if language not in ("ja", "en"):
        problems.append(Problem(None, "language", "ja or en"))
    if problems:
        raise InvalidInput(problems)
    p = session.scalars(select(Provider).where(Provider.name == name.strip())).first() or Provider(name=name.strip())
    p.abuse_email, p.language, p.country = abuse_email.strip(" "), language, country.upper()
    p.networks, p.domains = [n.strip() for n in networks or [] if n.strip()], [d.strip().lower() for d in domains or [] if d.strip()]
    session.add(p)
    session.flush()
    audit.record(session, actor, "hotline:provider:save", f"hotline:provider:{p.id}", {"name": p.name})
    return p


def case_hashes(session: Session, case: HotlineCase) -> list[ContentHash]:
    return list(session.scalars(select(ContentHash).where(ContentHash.case_id == case.id).order_by(ContentHash.id)))


def choose_provider(session: Session, case: HotlineCase, actor: User, provider_id: int) -> None:
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound("no provider {provider}", provider=provider_id)
    case.provider_id = provider.id
    case.provider = provider
    audit.record(session, actor, "hotline:case:provider", f"hotline:case:{case.id}", {"provider": provider.name})
