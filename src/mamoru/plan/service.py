"""Plan registry operations: queries for pages and API, and the changes people may make.

Queries load what a page needs in a fixed number of statements (eager loading), so page cost does
not grow with the number of measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.plan.models import (
    ORIGINS,
    Agency,
    AgencyProfile,
    DefinitionTerm,
    Measure,
    MeasureAssignment,
    MeasureLineage,
    Pillar,
    Plan,
    Prefecture,
    TimelineEvent,
)

_MEASURE_LOAD = (
    selectinload(Measure.assignments).selectinload(MeasureAssignment.agency),
    selectinload(Measure.assignments).selectinload(MeasureAssignment.succession),
    selectinload(Measure.lineage).selectinload(MeasureLineage.predecessor),
)


def plans(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.decided_on.desc().nulls_last(), Plan.id)))


def measure_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Measure.plan_id, func.count()).group_by(Measure.plan_id))
    return {pid: n for pid, n in rows}


def default_plan(session: Session) -> Plan:
    """The plan pages open on: the newest plan with measures loaded, else the newest plan."""
    counts = measure_counts(session)
    all_plans = plans(session)
    for p in all_plans:
        if counts.get(p.id):
            return p
    if all_plans:
        return all_plans[0]
    raise NotFound("no plan is loaded yet: run `mamoru plan load`")


def get_plan(session: Session, key: str | None) -> Plan:
    if key is None:
        return default_plan(session)
    plan = session.scalar(select(Plan).where(Plan.key == key))
    if plan is None:
        raise NotFound(f"no plan {key!r}")
    return plan


def plan_pillars(session: Session, plan: Plan) -> list[Pillar]:
    """Pillars with measures, assignments and agencies loaded (constant number of statements)."""
    stmt = (select(Pillar).where(Pillar.plan_id == plan.id).order_by(Pillar.number)
            .options(selectinload(Pillar.measures).options(*_MEASURE_LOAD)))
    return list(session.scalars(stmt))


@dataclass
class Matrix:
    """Which agencies answer for which measures: rows are measures, columns agencies."""

    agencies: list[Agency]
    pillars: list[Pillar]

    def marks(self, measure: Measure) -> dict[str, int]:
        return {a.agency.code: a.position for a in measure.assignments}


def matrix(session: Session, plan: Plan) -> Matrix:
    pillars = plan_pillars(session, plan)
    used: dict[str, Agency] = {}
    for p in pillars:
        for m in p.measures:
            for a in m.assignments:
                used.setdefault(a.agency.code, a.agency)
    order = [a.code for a in agencies(session)]
    cols = sorted(used.values(), key=lambda a: order.index(a.code) if a.code in order else 999)
    return Matrix(agencies=cols, pillars=pillars)


def get_pillar(session: Session, plan: Plan, number: int) -> Pillar:
    for p in plan_pillars(session, plan):
        if p.number == number:
            return p
    raise NotFound(f"plan {plan.key} has no pillar {number}")


def get_measure(session: Session, uid: str) -> Measure:
    m = session.scalar(select(Measure).where(Measure.uid == uid).options(
        *_MEASURE_LOAD, selectinload(Measure.amendments), selectinload(Measure.pillar)))
    if m is None:
        raise NotFound(f"no measure {uid!r}")
    return m


def agencies(session: Session) -> list[Agency]:
    order = ["NPSC", "NPA", "CAS", "CAO", "CFA", "MIC", "MOJ", "MOFA", "MEXT", "MHLW", "METI", "JTA"]
    rows = list(session.scalars(select(Agency)))
    return sorted(rows, key=lambda a: (order.index(a.code) if a.code in order else len(order), a.code))


def agency_exists(session: Session, code: str) -> bool:
    """Whether `code` (exactly as given) names an agency: the check auth's create_user is given."""
    return session.scalar(select(Agency.id).where(Agency.code == code)) is not None


def get_agency(session: Session, code: str) -> Agency:
    a = session.scalar(select(Agency).where(Agency.code == code.upper()))
    if a is None:
        raise NotFound(f"no agency {code!r}")
    return a


def agency_measures(session: Session, agency: Agency, on: date | None = None) -> list[tuple[Measure, MeasureAssignment, Agency]]:
    """Measures an agency answers for on `on` (default today): as written, or through a succession."""
    on = on or date.today()
    stmt = (select(MeasureAssignment).options(
        selectinload(MeasureAssignment.measure).selectinload(Measure.pillar),
        selectinload(MeasureAssignment.agency),
        selectinload(MeasureAssignment.succession)))
    out = []
    for a in session.scalars(stmt):
        now = a.agency_on(on)
        if a.agency_id == agency.id or now.id == agency.id:
            out.append((a.measure, a, now))
    out.sort(key=lambda t: (t[0].plan_id, t[0].pillar.number, t[0].position))
    return out


def agency_profile(session: Session, agency: Agency) -> AgencyProfile:
    prof = session.scalar(select(AgencyProfile).where(AgencyProfile.agency_id == agency.id))
    return prof or AgencyProfile(agency_id=agency.id)


PROFILE_FIELDS = ("focal_point", "division", "contact_email", "contact_phone", "notes")


def update_agency_profile(session: Session, agency: Agency, actor: User | None, values: dict[str, Any]) -> AgencyProfile:
    if actor is not None and not roles.can_edit_agency_profile(actor.role, actor.agency_code, agency.code):
        raise PermissionDenied(f"{actor.username} may not change the profile of {agency.code}")
    problems = [Problem(None, k, "unknown field") for k in values if k not in PROFILE_FIELDS]
    for k in PROFILE_FIELDS:
        v = values.get(k)
        if v is not None and len(str(v)) > (4000 if k == "notes" else 254):
            problems.append(Problem(None, k, "too long"))
    email = values.get("contact_email")
    if email and ("@" not in email or " " in email.strip()):
        problems.append(Problem(None, "contact_email", "not an e-mail address"))
    if problems:
        raise InvalidInput(problems)
    prof = session.scalar(select(AgencyProfile).where(AgencyProfile.agency_id == agency.id))
    if prof is None:
        prof = AgencyProfile(agency_id=agency.id)
        session.add(prof)
    changed = {}
    for k in PROFILE_FIELDS:
        if k in values and values[k] is not None and getattr(prof, k) != str(values[k]).strip():
            changed[k] = [getattr(prof, k), str(values[k]).strip()]
            setattr(prof, k, str(values[k]).strip())
    if changed:
        prof.updated_at = utcnow()
        prof.updated_by = actor.username if actor else "cli"
        audit.record(session, actor, "agency:profile:update", f"agency:{agency.code}", {"changes": changed})
    session.flush()
    return prof


AMENDABLE = ("code", "title_en", "title_ja", "description_en", "description_ja", "origin", "main")


def amend_measure(session: Session, measure: Measure, actor: User | None, values: dict[str, Any],
                  reason: str, amended_on: date | None = None) -> dict[str, list[Any]]:
    """Change a measure's wording: only the plan office, always with a reason and a date."""
    if actor is not None and not roles.can_edit_plan_text(actor.role):
        raise PermissionDenied("only the plan office (coordinator) changes a measure's wording")
    problems = validate_measure_values(values)
    if not reason or not reason.strip():
        problems.append(Problem(None, "reason", "an amendment needs a reason"))
    if problems:
        raise InvalidInput(problems)
    changes: dict[str, list[Any]] = {}
    for k in AMENDABLE:
        if k in values and values[k] is not None and getattr(measure, k) != values[k]:
            changes[k] = [getattr(measure, k), values[k]]
    if not changes:
        return {}
    from mamoru.plan.models import MeasureAmendment

    for k, (_old, new) in changes.items():
        setattr(measure, k, new)
    if "code" in changes:
        measure.code_provisional = False
    if "title_ja" in changes:
        measure.ja_provisional = False
    measure.updated_at = utcnow()
    session.add(MeasureAmendment(measure_id=measure.id, amended_on=amended_on or date.today(),
                                 reason=reason.strip(), changes=changes, by=actor.username if actor else "cli"))
    audit.record(session, actor, "measure:amend", f"measure:{measure.uid}", {"reason": reason.strip(), "changes": changes})
    session.flush()
    return changes


def validate_measure_values(values: dict[str, Any], row: int | None = None) -> list[Problem]:
    problems: list[Problem] = []
    for k in ("title_en",):
        if k in values and (values[k] is None or not str(values[k]).strip()):
            problems.append(Problem(row, k, "must not be empty"))
    for k in ("title_en", "title_ja"):
        if k in values and values[k] is not None and len(str(values[k])) > 2000:
            problems.append(Problem(row, k, "longer than 2,000 characters"))
    if "origin" in values and values["origin"] not in ORIGINS:
        problems.append(Problem.of(row, "origin", "must be one of {kinds}", kinds=", ".join(ORIGINS)))
    if "code" in values:
        code = str(values["code"] or "")
        if not code or len(code) > 16 or not code.isprintable() or any(c.isspace() for c in code):
            problems.append(Problem(row, "code", "must be 1-16 characters without spaces"))
    if "main" in values and not isinstance(values["main"], bool):
        problems.append(Problem(row, "main", "must be true or false"))
    return problems


def definitions(session: Session) -> list[DefinitionTerm]:
    return list(session.scalars(select(DefinitionTerm).order_by(DefinitionTerm.position)))


def prefectures(session: Session) -> list[Prefecture]:
    return list(session.scalars(select(Prefecture).order_by(Prefecture.code)))


def timeline(session: Session) -> list[TimelineEvent]:
    return list(session.scalars(select(TimelineEvent).options(selectinload(TimelineEvent.body))
                                .order_by(TimelineEvent.on, TimelineEvent.id)))


def successors(session: Session, measure: Measure) -> list[MeasureLineage]:
    """Lineage rows of later plans' measures that name `measure` as their predecessor."""
    return list(session.scalars(select(MeasureLineage).where(MeasureLineage.predecessor_id == measure.id)
                                .options(selectinload(MeasureLineage.measure))))


def dropped_measures(session: Session, plan: Plan) -> list[Measure]:
    """Measures of the plan that `plan` revises which no measure of `plan` continues."""
    if plan.supersedes_id is None:
        return []
    named = select(MeasureLineage.predecessor_id).join(Measure, Measure.id == MeasureLineage.measure_id).where(
        Measure.plan_id == plan.id, MeasureLineage.predecessor_id.is_not(None))
    return list(session.scalars(select(Measure).where(Measure.plan_id == plan.supersedes_id, Measure.id.not_in(named))
                                .order_by(Measure.id)))


PLAN_FIELDS = ("title_en", "title_ja", "status", "period_note_en", "period_note_ja", "measures_total")
PILLAR_FIELDS = ("title_en", "title_ja")
AGENCY_FIELDS = ("name_en", "name_ja", "valid_from", "valid_to", "note_en", "note_ja")


def _apply(obj: Any, fields: tuple[str, ...], values: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for k in fields:
        if k in values and values[k] is not None and getattr(obj, k) != values[k]:
            changes[k] = [getattr(obj, k), values[k]]
            setattr(obj, k, values[k])
    return changes


def _require_coordinator(actor: User | None, what: str) -> None:
    if actor is not None and actor.role != roles.COORDINATOR:
        raise PermissionDenied(f"only the plan office (coordinator) changes {what}")


def update_plan(session: Session, plan: Plan, actor: User | None, values: dict[str, Any], reason: str) -> dict[str, list[Any]]:
    """Change a plan's record (titles, status, period, total of measures): plan office only."""
    from mamoru.plan.models import PLAN_STATUSES

    _require_coordinator(actor, "a plan's record")
    problems = []
    if "status" in values and values["status"] is not None and values["status"] not in PLAN_STATUSES:
        problems.append(Problem(None, "status", f"must be one of {', '.join(PLAN_STATUSES)}"))
    total = values.get("measures_total")
    if total is not None and (not isinstance(total, int) or not 0 < total < 10000):
        problems.append(Problem(None, "measures_total", "must be a positive whole number"))
    if not reason.strip():
        problems.append(Problem(None, "reason", "a change to the plan's record needs a reason"))
    if problems:
        raise InvalidInput(problems)
    changes = _apply(plan, PLAN_FIELDS, values)
    if changes:
        audit.record(session, actor, "plan:update", f"plan:{plan.key}", {"reason": reason.strip(), "changes": changes})
    session.flush()
    return changes


def update_pillar(session: Session, pillar: Pillar, actor: User | None, values: dict[str, Any], reason: str) -> dict[str, list[Any]]:
    """Change a pillar's title (plan office only, with a reason); background points stay as decided."""
    _require_coordinator(actor, "a pillar's title")
    problems = [Problem(None, k, "must not be empty") for k in ("title_en",) if k in values and not str(values[k] or "").strip()]
    if not reason.strip():
        problems.append(Problem(None, "reason", "a change needs a reason"))
    if problems:
        raise InvalidInput(problems)
    changes = _apply(pillar, PILLAR_FIELDS, values)
    if "title_ja" in changes:
        pillar.ja_provisional = False
    if changes:
        audit.record(session, actor, "pillar:update", f"pillar:{pillar.plan_id}:{pillar.number}",
                     {"reason": reason.strip(), "changes": changes})
    session.flush()
    return changes


def update_agency(session: Session, agency: Agency, actor: User | None, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change an agency's names or validity (reorganisations): plan office only."""
    _require_coordinator(actor, "an agency's record")
    problems = [Problem(None, k, "must not be empty") for k in ("name_en", "name_ja") if k in values and not str(values[k] or "").strip()]
    start = values.get("valid_from", agency.valid_from)
    end = values.get("valid_to", agency.valid_to)
    if start and end and end < start:
        problems.append(Problem(None, "valid_to", "is before valid_from"))
    if problems:
        raise InvalidInput(problems)
    changes = _apply(agency, AGENCY_FIELDS, values)
    if changes:
        audit.record(session, actor, "agency:update", f"agency:{agency.code}", {"changes": changes})
    session.flush()
    return changes
