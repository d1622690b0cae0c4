"""API shapes of the follow-up's indicators, prefecture status, consultation services and awareness
material (pydantic), built from models by the `*_out` functions so the API modules stay thin. Meetings
and the WePROTECT alignment have theirs in schemas_meetings.py."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mamoru.followup import indicator_values as ivals
from mamoru.followup.indicators import Point
from mamoru.followup.materials import state_of
from mamoru.followup.models import AwarenessMaterial, ConsultationService, Indicator, IndicatorValue
from mamoru.followup.prefectures import Row
from mamoru.plan.models import Measure

NOT_NULL = ("title_en", "title_ja", "unit_en", "unit_ja", "direction", "period_type", "source_en", "source_ja",
            "note_en", "note_ja", "pillars", "measures", "breakdown", "periodicity", "scale")


class IndicatorDefinitionIn(BaseModel):
    """Fields of a definition; those left out keep their value (a new indicator needs a title)."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    title_en: str | None = None
    title_ja: str | None = None
    unit_en: str | None = None
    unit_ja: str | None = None
    direction: str | None = Field(None, description="higher or lower: which is better")
    period_type: str | None = Field(None, description="calendar or fiscal")
    source_en: str | None = None
    source_ja: str | None = None
    note_en: str | None = None
    note_ja: str | None = None
    pillars: list[int] | None = None
    measures: list[str] | None = Field(None, description="Stable ids of linked measures.")
    breakdown: list[str] | None = Field(None, description="prefecture, sex, or categories written dimension:key "
                                                          "(age:elementary).")
    periodicity: str | None = Field(None, description="yearly (2023 or FY2023) or monthly (2023-07)")
    scale: str | None = Field(None, description="count (whole, 0 or more), percent (0 to 100) or quantity (0 or more)")
    target_value: float | None = None
    target_period: str | None = None
    provider: str | None = Field(None, description="Code of a registered provider that computes values.")

    @field_validator(*NOT_NULL, mode="before")
    @classmethod
    def _left_out_not_null(cls, value: object) -> object:
        """These fields may be left out (kept as they are) but not sent as null: their columns are
        NOT NULL, and a null was a database error (500). Only a field that is sent is validated."""
        if value is None:
            raise ValueError("may be left out to keep its value, but not null")
        return value


class IndicatorValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    period: str = Field(description="In the indicator's periodicity and year: 2023 (calendar year), FY2023 "
                                    "(fiscal year) or 2011-07 (monthly).")
    value: float = Field(description="In the indicator's range: a count is whole and 0 or more, a percentage 0 to 100.")
    status: str = Field("final", description="provisional or final")
    source: str = Field(description="Where the value was published; required.")
    published_on: date | None = None
    category: str = Field("", description="A breakdown key of the indicator (age:elementary, prefecture:13, "
                                          "sex:female), or empty for the total.")
    note: str = ""
    corrects: int | None = Field(None, description="The published value (its id) this one corrects; needed when "
                                                   "the period already has a value.")


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(description="Why the value is withdrawn; kept in its history (and noted publicly if "
                                    "it was published).")


class IndicatorValueOut(BaseModel):
    id: int
    period: str
    category: str
    value: float
    status: str = Field(description="provisional or final")
    source: str
    published_on: date | None
    note: str
    superseded_by: int | None = Field(description="The approved correction that replaced this value, if any.")
    corrects: int | None = Field(None, description="The value this one corrects.")
    review: str = Field("approved", description="draft (not public), approved (public) or withdrawn")
    entered_by: str | None = Field(None, description="Staff only.")
    approved_by: str | None = Field(None, description="Staff only.")
    approved_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str = ""


class WithdrawalOut(BaseModel):
    period: str
    category: str
    withdrawn_at: datetime | None
    reason: str


class PointOut(BaseModel):
    period: str
    category: str
    value: float
    status: str = Field(description="provisional, final or computed (by a provider)")
    source: str
    published_on: date | None
    supersedes: list[float] = Field(description="Earlier values for the same period, kept after corrections.")


class IndicatorOut(BaseModel):
    code: str
    title_en: str
    title_ja: str
    unit_en: str
    unit_ja: str
    direction: str
    period_type: str
    source_en: str
    source_ja: str
    pillars: list[int]
    measures: list[str]
    breakdown: list[str]
    target_value: float | None
    target_period: str | None
    provider: str | None
    periodicity: str = Field(description="yearly or monthly")
    scale: str = Field(description="count, percent or quantity: the range of its values")
    note_en: str
    note_ja: str
    page: str = Field(description="The indicator's public page on the portal.")
    current: list[PointOut] = Field(description="Current values by period, computed ones included.")
    values: list[IndicatorValueOut] | None = Field(None, description="The public: every approved value, superseded "
                                                                     "ones too; staff: drafts and withdrawn ones too.")
    withdrawn: list[WithdrawalOut] | None = Field(None, description="Published values later withdrawn, with the reason.")


def value_out(v: IndicatorValue, staff: bool = True) -> IndicatorValueOut:
    return IndicatorValueOut(id=v.id, period=v.period, category=v.category, value=v.value, status=v.status,
                             source=v.source, published_on=v.published_on, note=v.note, superseded_by=v.superseded_by_id,
                             corrects=v.corrects_id, review=v.review, entered_by=v.entered_by if staff else None,
                             approved_by=v.approved_by if staff else None, approved_at=v.approved_at,
                             withdrawn_at=v.withdrawn_at, withdrawn_reason=v.withdrawn_reason)


def point_out(p: Point) -> PointOut:
    return PointOut(period=p.period, category=p.category, value=p.value, status=p.status, source=p.source,
                    published_on=p.published_on, supersedes=[o.value for o in p.superseded])


def indicator_out(ind: Indicator, points: list[Point], with_values: bool = False, staff: bool = False) -> IndicatorOut:
    """The indicator as the API gives it; the public (staff False) gets approved values only."""
    shown = [v for v in ind.values if staff or v.review == "approved"]
    return IndicatorOut(code=ind.code, title_en=ind.title_en, title_ja=ind.title_ja, unit_en=ind.unit_en,
                        unit_ja=ind.unit_ja, direction=ind.direction, period_type=ind.period_type,
                        source_en=ind.source_en, source_ja=ind.source_ja, pillars=list(ind.pillars or []),
                        measures=list(ind.measures or []), breakdown=list(ind.breakdown or []),
                        target_value=ind.target_value, target_period=ind.target_period, provider=ind.provider,
                        periodicity=ind.periodicity, scale=ind.scale, note_en=ind.note_en, note_ja=ind.note_ja,
                        page=f"/portal/indicators/{ind.code}", current=[point_out(p) for p in points],
                        values=[value_out(v, staff) for v in shown] if with_values else None,
                        withdrawn=[WithdrawalOut(period=v.period, category=v.category, withdrawn_at=v.withdrawn_at,
                                                 reason=v.withdrawn_reason) for v in ivals.public_withdrawals(ind)]
                        if with_values else None)


# --- prefecture status ---------------------------------------------------------------------------

class PrefectureStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    status: str = Field(description="done, in_progress, none or unknown")
    since: date | None = None
    note: str = ""


class PrefectureStatusOut(BaseModel):
    code: str = Field(description="JIS prefecture code, 01 to 47.")
    name_en: str
    name_ja: str
    status: str
    since: date | None
    note: str


class MeasurePrefecturesOut(BaseModel):
    measure: str = Field(description="The measure's stable id.")
    code: str
    title_en: str
    title_ja: str
    published: bool
    counts: dict[str, int]
    prefectures: list[PrefectureStatusOut]


def prefectures_out(measure: Measure, rows: list[Row], published: bool, counts: dict[str, int]) -> MeasurePrefecturesOut:
    return MeasurePrefecturesOut(
        measure=measure.uid, code=measure.code, title_en=measure.title_en, title_ja=measure.title_ja,
        published=published, counts=counts,
        prefectures=[PrefectureStatusOut(code=r.prefecture.code, name_en=r.prefecture.name_en,
                                         name_ja=r.prefecture.name_ja, status=r.status.status if r.status else "unknown",
                                         since=r.status.since if r.status else None,
                                         note=r.status.note if r.status else "") for r in rows])


# --- consultation services -----------------------------------------------------------------------

class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    prefecture: str = Field(description="JIS code of the prefecture (01 to 47).")
    name_ja: str
    name_en: str = ""
    phone: str
    hours_ja: str = ""
    hours_en: str = ""
    what_ja: str = Field("", description="What the service helps with, in plain words.")
    what_en: str = ""
    url: str = ""


class ServicePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    name_ja: str | None = None
    name_en: str | None = None
    phone: str | None = None
    hours_ja: str | None = None
    hours_en: str | None = None
    what_ja: str | None = None
    what_en: str | None = None
    url: str | None = None
    active: bool | None = Field(None, description="false withdraws the service from the portal.")


class ServiceOut(BaseModel):
    key: str
    scope: str = Field(description="national (shipped) or prefectural (kept by the plan office)")
    prefecture: str | None
    name_en: str
    name_ja: str
    phone: str
    hours_en: str
    hours_ja: str
    what_en: str
    what_ja: str
    url: str
    active: bool


def service_out(s: ConsultationService, codes: dict[int, str]) -> ServiceOut:
    return ServiceOut(key=s.key, scope=s.scope, prefecture=codes.get(s.prefecture_id) if s.prefecture_id else None,
                      name_en=s.name_en, name_ja=s.name_ja, phone=s.phone, hours_en=s.hours_en, hours_ja=s.hours_ja,
                      what_en=s.what_en, what_ja=s.what_ja, url=s.url, active=s.active is not False)


class MaterialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    measure: str | None = Field(None, description="Stable id of the measure that produces it (an agency officer: "
                                                  "one of their own agency's measures).")
    agency: str | None = Field(None, description="Code of the publishing agency; an agency officer's own is recorded.")
    title_ja: str = ""
    title_en: str = ""
    url: str = Field(description="http(s) address of the material.")
    audience: str = Field("families", description="children, families, schools or businesses")


class MaterialPatch(BaseModel):
    """Fields to change; those left out keep their value. A published material stays published."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    measure: str | None = None
    agency: str | None = Field(None, description="Agency code; an empty string names none.")
    title_ja: str | None = None
    title_en: str | None = None
    url: str | None = None
    audience: str | None = None


class MaterialRetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field("", description="Why it is withdrawn for good (kept in the audit log).")


class MaterialOut(BaseModel):
    id: int
    measure: str | None = Field(description="Stable id of the measure that produces it.")
    measure_code: str | None
    agency: str | None = Field(description="Code of the publishing agency.")
    title_en: str
    title_ja: str
    url: str
    audience: str
    state: str = Field(description="draft (not on the portal), published, or retired (withdrawn for good)")
    retired_at: datetime | None


def material_out(m: AwarenessMaterial) -> MaterialOut:
    return MaterialOut(id=m.id, measure=m.measure.uid if m.measure else None,
                       measure_code=m.measure.code if m.measure else None, agency=m.agency.code if m.agency else None,
                       title_en=m.title_en, title_ja=m.title_ja, url=m.url, audience=m.audience, state=state_of(m),
                       retired_at=m.retired_at)
