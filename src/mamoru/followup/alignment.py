"""The WePROTECT Model National Response as a framework: measures mapped to its 21 capabilities, the
capabilities no measure addresses, and a dated maturity self-assessment (four phases) per capability."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup.models import Capability, MaturityAssessment, MeasureCapability
from mamoru.plan.models import Measure

PHASES = {1: ("Phase 1: building", "第1段階：構築"), 2: ("Phase 2: developing", "第2段階：発展"),
          3: ("Phase 3: established", "第3段階：確立"), 4: ("Phase 4: maturity", "第4段階：成熟")}


@dataclass
class Coverage:
    capability: Capability
    measures: list[Measure] = field(default_factory=list)
    maturity: MaturityAssessment | None = None
    history: list[MaturityAssessment] = field(default_factory=list)


def coverage(session: Session) -> list[Coverage]:
    """Every capability with the measures mapped to it and its latest assessment (four statements)."""
    caps = list(session.scalars(select(Capability).order_by(Capability.number)))
    out = {c.id: Coverage(c) for c in caps}
    links = session.execute(select(MeasureCapability.capability_id, Measure)
                            .join(Measure, MeasureCapability.measure_id == Measure.id).order_by(Measure.code))
    for cap_id, m in links:
        out[cap_id].measures.append(m)
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
    if mapped and link is None:
        session.add(MeasureCapability(measure_id=measure.id, capability_id=cap.id,
                                      mapped_by=actor.username if actor else "cli"))
    elif not mapped and link is not None:
        session.delete(link)
    audit.record(session, actor, "followup:alignment:map", f"measure:{measure.uid}",
                 {"capability": number, "mapped": mapped})
    session.flush()


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
