"""Open data: what the portal publishes, as CSV (UTF-8, no byte order mark) and JSON under stable URLs.

Three kinds of dataset: the published plans' measures, each published round's accepted entries (with
their errata), and every indicator's public values. Each dataset is built from one list of plain rows,
so the CSV and the JSON always hold the same thing; each knows the time of its last change. Nothing
that is not public reaches it: draft plans, unpublished rounds, entries not accepted, and indicator
values other than those `public_series` gives.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mamoru.errors import NotFound
from mamoru.followup import errata as errata_svc
from mamoru.followup.indicators import LiveProviders, Point, indicators, series
from mamoru.followup.models import (
    Indicator,
    IndicatorValue,
    PublishedFigure,
    ReportingRound,
    RoundEntry,
    RoundErratum,
)
from mamoru.followup.rounds import get_round, round_label
from mamoru.plan.models import Measure, MeasureAssignment, Pillar, Plan
from mamoru.xlsx import neutral_cell

LICENCE_EN = ("Public Data License (Version 1.0), compatible with the Creative Commons Attribution 4.0 "
              "International licence (CC BY 4.0). Cite the source when you reuse the data.")
LICENCE_JA = "公共データ利用規約（第1.0版）（PDL1.0。CC BY 4.0 と互換）。利用の際は出典を記載してください。"
LICENCE_URL = "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0"
FORMATS = ("csv", "json")


def public_series(session: Session, ind: Indicator, live: LiveProviders) -> list[Point]:
    """The values of `ind` the public may see: the one rule open data and a measure's history use.
    The approved values (a value entered is a draft until a second person of the plan office approves
    it; withdrawn ones are gone) and the computed ones: `indicators.series`, what the portal's charts show."""
    return series(session, ind, live)


@dataclass
class Dataset:
    """One downloadable table: its key (the file name without extension), title, columns and rows."""

    key: str
    title_en: str
    title_ja: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    changed_at: datetime | None

    def csv(self) -> bytes:
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=self.columns, extrasaction="ignore", lineterminator="\r\n")
        w.writeheader()
        for row in self.rows:
            w.writerow({k: _cell(row.get(k)) for k in self.columns})
        return out.getvalue().encode("utf-8")  # no byte order mark

    def json(self) -> bytes:
        doc = {"dataset": self.key, "title_en": self.title_en, "title_ja": self.title_ja, "licence": LICENCE_URL,
               "changed_at": self.changed_at.isoformat() if self.changed_at else None, "columns": list(self.columns),
               "rows": self.rows}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _cell(value: Any) -> Any:
    """A CSV cell: lists and objects as JSON, text that a spreadsheet would run neutralised (xlsx.neutral_cell)."""
    if isinstance(value, list | dict):
        return neutral_cell(json.dumps(value, ensure_ascii=False))
    return "" if value is None else neutral_cell(value)


PLAN_COLUMNS = ("plan", "plan_title_ja", "plan_title_en", "pillar", "pillar_title_ja", "pillar_title_en", "code",
                "measure", "title_ja", "title_en", "agencies", "main")


def plan_dataset(session: Session) -> Dataset:
    """Every measure of the plans that are no longer drafts (in force or superseded), in plan order."""
    stmt = (select(Measure, Pillar, Plan).join(Pillar, Measure.pillar_id == Pillar.id)
            .join(Plan, Measure.plan_id == Plan.id).where(Plan.status != "draft")
            .order_by(Plan.id, Pillar.number, Measure.position, Measure.id)
            .options(selectinload(Measure.assignments).selectinload(MeasureAssignment.agency)))
    rows = [{"plan": plan.key, "plan_title_ja": plan.title_ja, "plan_title_en": plan.title_en, "pillar": p.number,
             "pillar_title_ja": p.title_ja, "pillar_title_en": p.title_en, "code": m.code, "measure": m.uid,
             "title_ja": m.title_ja, "title_en": m.title_en,
             "agencies": " ".join(a.agency.code for a in m.assignments), "main": m.main}
            for m, p, plan in session.execute(stmt)]
    return Dataset("plan", "Measures of the plan", "プランの施策", PLAN_COLUMNS, rows, _plan_changed(session))


ROUND_COLUMNS = ("round", "fiscal_years", "measure", "code", "pillar", "agency", "status", "status_ja", "status_en",
                 "progress", "narrative_ja", "narrative_en", "accepted_at", "errata")


def round_dataset(session: Session, round_id: int) -> Dataset:
    """A published round's accepted entries (NotFound for a round not published), each with its errata."""
    r = get_round(session, round_id, published_only=True)
    stmt = (select(RoundEntry).join(Measure, RoundEntry.measure_id == Measure.id)
            .join(Pillar, Measure.pillar_id == Pillar.id)
            .where(RoundEntry.round_id == r.id, RoundEntry.state == "accepted")
            .order_by(Pillar.number, Measure.position, RoundEntry.id)
            .options(selectinload(RoundEntry.measure).selectinload(Measure.pillar), selectinload(RoundEntry.agency),
                     selectinload(RoundEntry.status)))
    fixes = errata_svc.errata(session, r)
    by_entry = errata_svc.by_entry(fixes)
    rows = [{"round": r.id, "fiscal_years": " ".join(map(str, sorted(r.fiscal_years))), "measure": e.measure.uid,
             "code": e.measure.code, "pillar": e.measure.pillar.number, "agency": e.agency.code,
             "status": e.status.key if e.status else None, "status_ja": e.status.label_ja if e.status else None,
             "status_en": e.status.label_en if e.status else None,
             "progress": e.status.progress if e.status else None, "narrative_ja": e.narrative_ja,
             "narrative_en": e.narrative_en, "accepted_at": e.accepted_at.isoformat() if e.accepted_at else None,
             "errata": [_erratum(x) for x in by_entry.get(e.id, [])]}
            for e in session.scalars(stmt)]
    whole = [_erratum(x) for x in fixes if x.entry_id is None]
    changed = max([t for t in (r.published_at, *(x.at for x in fixes)) if t is not None], default=None)
    ds = Dataset(f"round-{r.id}", r.title_en, r.title_ja, ROUND_COLUMNS, rows, changed)
    if whole:  # corrections to the report as a whole: a row of their own, with no entry
        ds.rows.append({"round": r.id, "fiscal_years": rows[0]["fiscal_years"] if rows else "", "errata": whole})
    return ds


def _erratum(x: Any) -> dict[str, Any]:
    return {"corrected_on": x.corrected_on.isoformat(), "text_ja": x.text_ja, "text_en": x.text_en,
            "reason": x.reason}


INDICATOR_COLUMNS = ("indicator", "title_ja", "title_en", "unit_ja", "unit_en", "period_type", "period", "category",
                     "value", "status", "source", "published_on")


def indicator_dataset(session: Session, live: LiveProviders) -> Dataset:
    """Every indicator's public values (`public_series`), one row per period and category."""
    rows = []
    for ind in indicators(session):
        for p in public_series(session, ind, live):
            rows.append({"indicator": ind.code, "title_ja": ind.title_ja, "title_en": ind.title_en,
                         "unit_ja": ind.unit_ja, "unit_en": ind.unit_en, "period_type": ind.period_type,
                         "period": p.period, "category": p.category, "value": p.value, "status": p.status,
                         "source": p.source, "published_on": p.published_on.isoformat() if p.published_on else None})
    return Dataset("indicators", "Indicators of the plan", "プランの指標", INDICATOR_COLUMNS, rows,
                   _indicators_changed(session))


def _indicators_changed(session: Session) -> datetime | None:
    """The latest approval or withdrawal of a published value (as indicator_data's last change: a
    draft's entry is not a change of the public figures), or of a computed figure."""
    v = IndicatorValue
    public = v.approved_at.is_not(None)
    times = [session.scalar(select(func.max(v.approved_at)).where(public)),
             session.scalar(select(func.max(v.withdrawn_at)).where(public)),
             session.scalar(select(func.max(PublishedFigure.computed_at)))]
    return max((t for t in times if t is not None), default=None)


def _plan_changed(session: Session) -> datetime | None:
    return session.scalar(select(func.max(Measure.updated_at)).join(Plan, Measure.plan_id == Plan.id)
                          .where(Plan.status != "draft"))


@dataclass
class Listing:
    """What the open data page lists: each dataset's key, titles and last change, the newest change."""

    entries: list[tuple[str, str, str, datetime | None]]

    @property
    def changed_at(self) -> datetime | None:
        times = [t for *_, t in self.entries if t is not None]
        return max(times) if times else None


def listing(session: Session) -> Listing:
    """The datasets on offer with the time each last changed, without building them (a few statements)."""
    out: list[tuple[str, str, str, datetime | None]] = [("plan", "Measures of the plan", "プランの施策",
                                                         _plan_changed(session))]
    published = list(session.scalars(select(ReportingRound).where(ReportingRound.state == "published")
                                     .order_by(ReportingRound.id.desc())))
    fixed = dict(session.execute(select(RoundErratum.round_id, func.max(RoundErratum.at))
                                 .group_by(RoundErratum.round_id)).all())
    for r in published:
        t = max([x for x in (r.published_at, fixed.get(r.id)) if x is not None], default=None)
        out.append((f"round-{r.id}", f"Accepted entries, {round_label(r, 'en')}",
                    f"受理済みの報告（{round_label(r, 'ja')}）", t))
    out.append(("indicators", "Indicators of the plan", "プランの指標", _indicators_changed(session)))
    return Listing(out)


def dataset(session: Session, key: str, live: LiveProviders) -> Dataset:
    """The dataset named by its key: "plan", "indicators" or "round-ID"."""
    if key == "plan":
        return plan_dataset(session)
    if key == "indicators":
        return indicator_dataset(session, live)
    if key.startswith("round-") and key[6:].isdigit():
        return round_dataset(session, int(key[6:]))
    raise NotFound(f"no dataset {key!r}")
