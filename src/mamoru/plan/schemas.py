"""API shapes of the plan registry (pydantic), built from models by the `*_out` functions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mamoru.plan.models import Agency, AgencyProfile, Measure, Pillar, Plan, TimelineEvent


class AgencyRef(BaseModel):
    code: str
    name_en: str
    name_ja: str


class AssignmentOut(BaseModel):
    agency: AgencyRef = Field(description="The agency as the plan lists it.")
    position: int
    role: str | None = Field(None, description="'lead' only where a source names one.")
    current_agency: AgencyRef = Field(description="The agency answering for it today (after successions).")
    succession: str | None = None


class AmendmentOut(BaseModel):
    amended_on: date
    reason: str
    changes: dict[str, list[Any]]
    by: str


class LineageOut(BaseModel):
    kind: str = Field(description="unchanged, revised, split, merged or new")
    predecessor: str | None = Field(None, description="Stable id of the previous plan's measure.")


class MeasureOut(BaseModel):
    id: str = Field(description="Stable id; never changes or is reused.")
    code: str
    code_provisional: bool
    plan: str
    pillar: int
    title_en: str
    title_ja: str
    ja_provisional: bool
    description_en: str
    description_ja: str
    origin: str
    main: bool
    agencies: list[AssignmentOut]
    lineage: list[LineageOut] = []
    amendments: list[AmendmentOut] | None = None


class PillarOut(BaseModel):
    number: int
    title_en: str
    title_ja: str
    ja_provisional: bool
    background: list[dict[str, Any]]
    measures: list[MeasureOut] | None = None


class PlanOut(BaseModel):
    key: str
    title_en: str
    title_ja: str
    decided_on: date | None
    decided_by: str | None
    period_start: date | None
    period_end: date | None
    coordinator: str | None
    status: str
    supersedes: str | None
    measures_total: int | None = Field(description="Measures the plan has (88 for the 2017 plan).")
    measures_loaded: int = Field(description="Measures loaded in mamoru; the outline gives only the main ones.")
    pillars: list[PillarOut] | None = None


class AgencyOut(BaseModel):
    code: str
    name_en: str
    name_ja: str
    parent: str | None
    valid_from: date | None
    valid_to: date | None


class AgencyProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    focal_point: str | None = Field(None, max_length=254)
    division: str | None = Field(None, max_length=254)
    contact_email: str | None = Field(None, max_length=254)
    contact_phone: str | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=4000)


class AgencyProfileOut(AgencyProfileIn):
    agency: str
    updated_at: datetime | None = None
    updated_by: str | None = None


class AmendmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(min_length=1, max_length=2000)
    amended_on: date | None = None
    code: str | None = Field(None, max_length=16)
    title_en: str | None = Field(None, max_length=2000)
    title_ja: str | None = Field(None, max_length=2000)
    description_en: str | None = Field(None, max_length=20000)
    description_ja: str | None = Field(None, max_length=20000)
    origin: str | None = None
    main: bool | None = None


class SuccessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    succession: str | None = Field(description="Key of the agency succession (e.g. mhlw-children-to-cfa-2023); "
                                               "null removes the one recorded.")
    reason: str = Field(min_length=1, max_length=2000)


class TimelineOut(BaseModel):
    key: str = Field(description="Stable key of the event (used to edit it).")
    date: date
    precision: str
    kind: str
    body: str | None
    title_en: str
    title_ja: str
    description_en: str
    description_ja: str


class TermOut(BaseModel):
    code: str
    parent: str | None
    title_en: str
    title_ja: str
    description_en: str
    description_ja: str


class PrefectureOut(BaseModel):
    code: str
    name_en: str
    name_ja: str
    region_en: str
    region_ja: str


def agency_ref(a: Agency) -> AgencyRef:
    return AgencyRef(code=a.code, name_en=a.name_en, name_ja=a.name_ja)


def measure_out(m: Measure, plan_key: str, pillar_number: int, on: date, with_amendments: bool = False) -> MeasureOut:
    return MeasureOut(
        id=m.uid, code=m.code, code_provisional=m.code_provisional, plan=plan_key, pillar=pillar_number,
        title_en=m.title_en, title_ja=m.title_ja, ja_provisional=m.ja_provisional,
        description_en=m.description_en, description_ja=m.description_ja, origin=m.origin, main=m.main,
        agencies=[AssignmentOut(agency=agency_ref(a.agency), position=a.position, role=a.role,
                                current_agency=agency_ref(a.agency_on(on)),
                                succession=a.succession.key if a.succession else None) for a in m.assignments],
        lineage=[LineageOut(kind=x.kind, predecessor=x.predecessor.uid if x.predecessor else None) for x in m.lineage],
        amendments=[AmendmentOut(amended_on=x.amended_on, reason=x.reason, changes=x.changes, by=x.by)
                    for x in m.amendments] if with_amendments else None,
    )


def pillar_out(p: Pillar, plan_key: str, on: date, with_measures: bool) -> PillarOut:
    return PillarOut(number=p.number, title_en=p.title_en, title_ja=p.title_ja, ja_provisional=p.ja_provisional,
                     background=list(p.background or []),
                     measures=[measure_out(m, plan_key, p.number, on) for m in p.measures] if with_measures else None)


def plan_out(p: Plan, loaded: int, pillars: list[Pillar] | None = None, on: date | None = None) -> PlanOut:
    on = on or date.today()
    return PlanOut(
        key=p.key, title_en=p.title_en, title_ja=p.title_ja, decided_on=p.decided_on,
        decided_by=p.decided_by.key if p.decided_by else None, period_start=p.period_start, period_end=p.period_end,
        coordinator=p.coordinator.code if p.coordinator else None, status=p.status,
        supersedes=p.supersedes.key if p.supersedes else None, measures_total=p.measures_total,
        measures_loaded=loaded,
        pillars=[pillar_out(x, p.key, on, True) for x in pillars] if pillars is not None else None)


def agency_out(a: Agency) -> AgencyOut:
    return AgencyOut(code=a.code, name_en=a.name_en, name_ja=a.name_ja, parent=a.parent.code if a.parent else None,
                     valid_from=a.valid_from, valid_to=a.valid_to)


def profile_out(agency: Agency, p: AgencyProfile) -> AgencyProfileOut:
    return AgencyProfileOut(agency=agency.code, focal_point=p.focal_point or "", division=p.division or "",
                            contact_email=p.contact_email or "", contact_phone=p.contact_phone or "",
                            notes=p.notes or "", updated_at=p.updated_at, updated_by=p.updated_by)


def timeline_out(e: TimelineEvent) -> TimelineOut:
    return TimelineOut(key=e.key, date=e.on, precision=e.precision, kind=e.kind, body=e.body.key if e.body else None,
                       title_en=e.title_en, title_ja=e.title_ja, description_en=e.description_en,
                       description_ja=e.description_ja)


class PlanUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(min_length=1, max_length=2000)
    title_en: str | None = Field(None, max_length=300)
    title_ja: str | None = Field(None, max_length=300)
    status: str | None = None
    period_note_en: str | None = Field(None, max_length=2000)
    period_note_ja: str | None = Field(None, max_length=2000)
    measures_total: int | None = None


class PillarUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(min_length=1, max_length=2000)
    title_en: str | None = Field(None, max_length=2000)
    title_ja: str | None = Field(None, max_length=2000)


class AgencyUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    name_en: str | None = Field(None, max_length=200)
    name_ja: str | None = Field(None, max_length=200)
    valid_from: date | None = None
    valid_to: date | None = None
    note_en: str | None = Field(None, max_length=4000)
    note_ja: str | None = Field(None, max_length=4000)


_Day = date  # the field below is named `date`, like TimelineOut's, and would hide the type


class TimelineUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(min_length=1, max_length=2000)
    date: _Day | None = None
    precision: str | None = Field(None, description="day, month or year: how much of the date is known.")
    kind: str | None = Field(None, max_length=32)
    body: str | None = Field(None, max_length=64, description="Key of the body; an empty string removes it.")
    title_en: str | None = Field(None, max_length=2000)
    title_ja: str | None = Field(None, max_length=2000)
    description_en: str | None = Field(None, max_length=20000)
    description_ja: str | None = Field(None, max_length=20000)
