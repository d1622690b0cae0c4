"""Indicators: definitions, values per period (provisional or final, corrections kept), and computed values.

An indicator whose `provider` names an indicator provider (mamoru.domain.IndicatorProvider, declared
in a domain's setup) shows computed values for periods that have no entered value (entered figures
win for the same period and category). A process computes a provider live only when its role may
(the `live` mapping the composition gives it); otherwise it shows what the provider's domain
published (mamoru.followup.figures), with the time it was computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.domain import PERIOD_TYPES, Computed, IndicatorProvider
from mamoru.errors import InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup import figures
from mamoru.followup import indicator_rules as rules
from mamoru.followup.models import (
    EntryStatus,
    Indicator,
    IndicatorValue,
    PrefecturePublication,
    PrefectureStatus,
    ReportingRound,
    RoundEntry,
)
from mamoru.periods import fiscal_period, fiscal_period_label, today
from mamoru.plan.models import Measure


class ValueFields(Protocol):
    """What the public figures read of a value: an IndicatorValue, or a PublicValue read without the ORM."""

    @property
    def period(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def published_on(self) -> date | None: ...
    @property
    def superseded_by_id(self) -> int | None: ...
    @property
    def review(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PublicValue:
    """An approved value, or a published one later withdrawn, as one indicator's public page reads it
    (plain columns: a page of ten years by 47 prefectures is 500 of them)."""

    period: str
    category: str
    value: float
    status: str
    source: str
    published_on: date | None
    superseded_by_id: int | None
    review: str
    approved_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str


def public_values(session: Session, ind: Indicator) -> list[PublicValue]:
    """The values of `ind` the public may know of (one statement): approved ones (superseded included)
    and published ones later withdrawn."""
    v = IndicatorValue
    rows = session.execute(select(v.period, v.category, v.value, v.status, v.source, v.published_on,
                                  v.superseded_by_id, v.review, v.approved_at, v.withdrawn_at, v.withdrawn_reason)
                           .where(v.indicator_id == ind.id, v.approved_at.is_not(None),
                                  v.review.in_(("approved", "withdrawn"))).order_by(v.id))
    return [PublicValue(*row) for row in rows]


@dataclass(frozen=True)
class Point:
    """One value as shown: entered (with source) or computed by a provider."""

    period: str
    value: float
    category: str
    status: str  # provisional, final or computed
    source: str
    published_on: date | None
    superseded: list[ValueFields]


LiveProviders = Mapping[str, IndicatorProvider]
"""The providers this process computes itself, by code (mamoru.composition.live_providers)."""
NO_LIVE_PROVIDERS: LiveProviders = MappingProxyType({})
"""Computes nothing: shows what the providers' domains published."""


def computed_values(session: Session, ind: Indicator, live: LiveProviders) -> list[Computed] | None:
    """The provider's values for the indicator: computed here when this process may, else as
    published; None when the indicator names no provider."""
    if not ind.provider:
        return None
    period_type = ind.period_type if ind.period_type in PERIOD_TYPES else "calendar"
    provider = live.get(ind.provider)
    if provider is not None:
        return provider.compute(session, period_type, tuple(ind.measures or ()))
    return [c for c, _ in figures.values_for(session, ind.provider, period_type)]


def indicators(session: Session) -> list[Indicator]:
    """All indicators with every value loaded (two statements)."""
    return list(session.scalars(select(Indicator).order_by(Indicator.position, Indicator.id)
                                .options(selectinload(Indicator.values))))


def get_indicator(session: Session, code: str, with_values: bool = True) -> Indicator:
    """The indicator, with every value loaded unless `with_values` is False (then read them with
    `public_values`)."""
    query = select(Indicator).where(Indicator.code == code)
    ind = session.scalar(query.options(selectinload(Indicator.values)) if with_values else query)
    if ind is None:
        raise NotFound(f"no indicator {code!r}")
    return ind


def series(session: Session, ind: Indicator, live: LiveProviders,
           values: Sequence[ValueFields] | None = None) -> list[Point]:
    """The public figures: approved values by period (the approved values they superseded attached),
    plus computed values for other periods. Drafts and withdrawn values never appear here. `values`:
    the indicator's values when already read (`public_values`), else `ind.values`."""
    points: dict[tuple[str, str], Point] = {}
    old: dict[tuple[str, str], list[ValueFields]] = {}
    approved = [v for v in (ind.values if values is None else values) if v.review == "approved"]
    for v in approved:
        if v.superseded_by_id is not None:
            old.setdefault((v.period, v.category), []).append(v)
    for v in approved:
        if v.superseded_by_id is None:
            points[(v.period, v.category)] = Point(v.period, v.value, v.category, v.status, v.source, v.published_on,
                                                   old.get((v.period, v.category), []))
    for c in computed_values(session, ind, live) or []:
        points.setdefault((c.period, c.category), Point(c.period, c.value, c.category, "computed",
                                                        c.note or ind.source_en, None, []))
    return sorted(points.values(), key=lambda p: (p.period, p.category))


DIRECTIONS = ("higher", "lower")
DEFINITION_FIELDS = ("title_en", "title_ja", "unit_en", "unit_ja", "direction", "period_type", "source_en",
                     "source_ja", "note_en", "note_ja", "pillars", "measures", "breakdown", "target_value",
                     "target_period", "provider", "periodicity", "scale")


def define_indicator(session: Session, actor: User | None, code: str, fields: dict[str, Any]) -> Indicator:
    """Create an indicator or change its definition (the plan office); values are kept as they are."""
    if actor is not None and actor.role != roles.COORDINATOR:
        raise PermissionDenied("only the plan office defines indicators")
    problems = [Problem(None, k, "not a field of an indicator definition") for k in fields if k not in DEFINITION_FIELDS]
    if not code.strip() or len(code) > 64 or not code.replace("-", "").replace("_", "").isalnum():
        problems.append(Problem(None, "code", "letters, digits, - and _ (at most 64)"))
    if fields.get("direction", "lower") not in DIRECTIONS:
        problems.append(Problem(None, "direction", "higher or lower (which is better)"))
    if fields.get("period_type", "calendar") not in PERIOD_TYPES:
        problems.append(Problem(None, "period_type", "calendar or fiscal"))
    if fields.get("periodicity", "yearly") not in rules.PERIODICITIES:
        problems.append(Problem(None, "periodicity", "yearly or monthly"))
    if fields.get("scale", "count") not in rules.SCALES:
        problems.append(Problem(None, "scale", "count, percent or quantity"))
    if bad := rules.breakdown_errors(fields.get("breakdown") or []):
        problems.append(Problem.of(None, "breakdown", "prefecture, sex or dimension:key (age:elementary), "
                                                      "not {given}", given=", ".join(bad)))
    ind = session.scalar(select(Indicator).where(Indicator.code == code))
    if ind is None and not (fields.get("title_en") or fields.get("title_ja")):
        problems.append(Problem(None, "title", "a new indicator needs a title in at least one language"))
    if problems:
        raise InvalidInput(problems)
    if ind is None:
        last = session.scalar(select(func.max(Indicator.position))) or 0
        ind = Indicator(code=code, title_en="", title_ja="", position=last + 1, pillars=[], measures=[], breakdown=[])
        session.add(ind)
    for k, v in fields.items():
        setattr(ind, k, v)
    ind.title_en = ind.title_en or ind.title_ja
    ind.title_ja = ind.title_ja or ind.title_en
    session.flush()
    audit.record(session, actor, "followup:indicator:define", f"indicator:{code}", {"fields": sorted(fields)})
    return ind


# --- providers computed from data the registry already holds -----------------------------------

def implemented_share(session: Session, period_type: str, measures: Sequence[str] = ()) -> list[Computed]:
    """Per published round: share of its measures with an accepted entry whose status counts as implemented."""
    impl = (select(RoundEntry.round_id, func.count(func.distinct(RoundEntry.measure_id)))
            .join(EntryStatus, RoundEntry.status_id == EntryStatus.id)
            .join(ReportingRound, RoundEntry.round_id == ReportingRound.id)
            .where(ReportingRound.state == "published", RoundEntry.state == "accepted", EntryStatus.implemented.is_(True))
            .group_by(RoundEntry.round_id))
    total = (select(RoundEntry.round_id, func.count(func.distinct(RoundEntry.measure_id)))
             .join(ReportingRound, RoundEntry.round_id == ReportingRound.id)
             .where(ReportingRound.state == "published").group_by(RoundEntry.round_id))
    years = {r.id: r.fiscal_years for r in session.scalars(select(ReportingRound).where(ReportingRound.state == "published"))}
    done = {rid: n for rid, n in session.execute(impl)}
    out = []
    for rid, n in session.execute(total):
        if n:
            out.append(Computed(fiscal_period_label(max(years[rid])), round(100 * done.get(rid, 0) / n, 1), note=f"round {rid}"))
    return out


def prefectures_done(session: Session, period_type: str, measures: Sequence[str]) -> list[Computed]:
    """Prefectures whose status is `done` on the indicator's (first) linked measure, as of today in Japan."""
    if not measures:
        return []
    published = select(PrefecturePublication.measure_id)
    if session.scalar(select(Measure.id).where(Measure.uid == measures[0], Measure.id.in_(published))) is None:
        return []  # not published: the public indicator must not reveal it
    n = session.scalar(select(func.count()).select_from(PrefectureStatus).join(Measure)
                       .where(Measure.uid == measures[0], PrefectureStatus.status == "done")) or 0
    return [Computed(fiscal_period(today()), float(n), note="prefecture status recorded by the plan office")]


