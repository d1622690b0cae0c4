"""The WePROTECT Model National Response as a framework: measures mapped to its 21 capabilities, the
capabilities no measure addresses, and a dated maturity self-assessment (four phases) per capability."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup.models import Capability, MaturityAssessment, MeasureCapability
from mamoru.plan.models import Measure

PHASES = {1: ("Phase 1: building", "第1段階：構築"), 2: ("Phase 2: developing", "第2段階：発展"),
          3: ("Phase 3: established", "第3段階：確立"), 4: ("Phase 4: maturity", "第4段階：成熟")}


@dataclass
class Coverage:
    capability: Capability
    measures: list[Measure] = field(default_factory=list)
    proposed: set[int] = field(default_factory=set)  # ids of measures whose link the office has not confirmed
    maturity: MaturityAssessment | None = None
    history: list[MaturityAssessment] = field(default_factory=list)


def coverage(session: Session) -> list[Coverage]:
    """Every capability with the measures mapped to it and its latest assessment (four statements)."""
    caps = list(session.scalars(select(Capability).order_by(Capability.number)))
    out = {c.id: Coverage(c) for c in caps}
    links = session.execute(select(MeasureCapability.capability_id, MeasureCapability.confirmed_at, Measure)
                            .join(Measure, MeasureCapability.measure_id == Measure.id).order_by(Measure.code))
    for cap_id, confirmed_at, m in links:
        out[cap_id].measures.append(m)
        if confirmed_at is None:
            out[cap_id].proposed.add(m.id)
    for a in session.scalars(select(MaturityAssessment).order_by(MaturityAssessment.assessed_on, MaturityAssessment.id)):
        out[a.capability_id].history.append(a)
        out[a.capability_id].maturity = a
    return [out[c.id] for c in caps]


def _office(actor: User | None) -> None:
    if actor is not None and actor.role != "coordinator":
        raise PermissionDenied("the mapping and the self-assessment are kept by the plan office")


def _capability(session: Session, number: int) -> Capability:
    cap = session.scalar(select(Capability).where(Capability.number == number))
    if cap is None:
        raise NotFound(f"no capability {number} (1 to 21)")
    return cap


def map_measure(session: Session, actor: User | None, measure: Measure, number: int, mapped: bool = True) -> None:
    _office(actor)
    cap = _capability(session, number)
    link = session.scalar(select(MeasureCapability).where(MeasureCapability.measure_id == measure.id,
                                                          MeasureCapability.capability_id == cap.id))
    who = actor.username if actor else "cli"
    if mapped and link is None:  # a link the office makes is its own: confirmed
        session.add(MeasureCapability(measure_id=measure.id, capability_id=cap.id, mapped_by=who,
                                      confirmed_by=who, confirmed_at=utcnow()))
    elif mapped and link is not None and link.confirmed_at is None:
        link.confirmed_by, link.confirmed_at = who, utcnow()
    elif not mapped and link is not None:
        session.delete(link)
    audit.record(session, actor, "followup:alignment:map", f"measure:{measure.uid}",
                 {"capability": number, "mapped": mapped})
    session.flush()


def confirm(session: Session, actor: User | None, number: int | None = None) -> int:
    """The plan office confirms the proposed links of one capability (or of all): they are the office's
    mapping from now on. Returns how many links it confirmed."""
    _office(actor)
    query = select(MeasureCapability).where(MeasureCapability.confirmed_at.is_(None))
    if number is not None:
        query = query.where(MeasureCapability.capability_id == _capability(session, number).id)
    links = list(session.scalars(query))
    who, now = (actor.username if actor else "cli"), utcnow()
    for link in links:
        link.confirmed_by, link.confirmed_at = who, now
    audit.record(session, actor, "followup:alignment:confirm", f"capability:{number or 'all'}", {"links": len(links)})
    session.flush()
    return len(links)


def assess(session: Session, actor: User | None, number: int, phase: int, assessed_on: date,
           note: str = "") -> MaturityAssessment:
    _office(actor)
    if phase not in PHASES:
        raise InvalidInput([Problem(None, "phase", "1 (building) to 4 (maturity)")])
    a = MaturityAssessment(capability_id=_capability(session, number).id, phase=phase, assessed_on=assessed_on,
                           note=note.strip(), by=actor.username if actor else "cli")
    session.add(a)
    audit.record(session, actor, "followup:alignment:assess", f"capability:{number}", {"phase": phase})
    session.flush()
    return a
