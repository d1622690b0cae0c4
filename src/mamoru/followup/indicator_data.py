"""An indicator as an official statistics page publishes it (the model is open-sdg): its public figures
(approved values and computed ones), the totals on a true time axis, the breakdowns as tables, its
metadata, the withdrawals noted, and the same as CSV (UTF-8, no BOM) and JSON under stable URLs.

What is public is decided in one place, mamoru.followup.indicators.series (approved values only); the
page, the chart and both downloads are built from the one `Dataset` here, so they never disagree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mamoru.followup import charts
from mamoru.followup import indicator_rules as rules
from mamoru.followup import indicators as isvc
from mamoru.followup.models import Indicator
from mamoru.xlsx import neutral_cell

CSV_COLUMNS = ("indicator", "period", "dimension", "category", "value", "unit_en", "unit_ja", "status", "source",
               "published_on", "corrects")


@dataclass
class Breakdown:
    """One dimension's values: a table of periods by category keys."""

    dimension: str
    keys: list[str]
    periods: list[str]
    cells: dict[tuple[str, str], isvc.Point] = field(default_factory=dict)


@dataclass
class Dataset:
    indicator: Indicator
    totals: list[isvc.Point]
    breakdowns: list[Breakdown]
    withdrawn: list[isvc.PublicValue]
    points: list[isvc.Point]
    last_change: datetime | None
    """When the public figures last changed: the latest approval or withdrawal of a published value."""


def get_dataset(session: Session, code: str, live: isvc.LiveProviders) -> Dataset:
    """The public dataset of the indicator `code` (three statements, however many values it holds)."""
    return dataset(session, isvc.get_indicator(session, code, with_values=False), live)


def dataset(session: Session, ind: Indicator, live: isvc.LiveProviders) -> Dataset:
    values = isvc.public_values(session, ind)
    points = isvc.series(session, ind, live, values)
    withdrawn = [v for v in values if v.review == "withdrawn"]
    changes = [t for v in values for t in (v.approved_at, v.withdrawn_at) if t is not None]
    totals = [p for p in points if not p.category]
    known = rules.categories(ind.breakdown or [])
    tables: dict[str, Breakdown] = {}
    for p in points:
        if not p.category:
            continue
        dim, _ = rules.dimension_of(p.category)
        table = tables.setdefault(dim, Breakdown(dim, [], []))
        table.cells[(p.period, p.category)] = p
        if p.period not in table.periods:
            table.periods.append(p.period)
    for table in tables.values():
        used = {k for _, k in table.cells}
        table.keys = [k for k in known if k in used] + sorted(used - set(known))
        table.periods.sort()
    return Dataset(ind, totals, [tables[d] for d in sorted(tables)], withdrawn, points, max(changes, default=None))


def chart(ds: Dataset, title: str, unit: str, target_label: str, provisional_label: str) -> str:
    """The totals on a true time axis with the target line, as SVG drawn by mamoru."""
    placed = [(t.x, p.period, p.value, p.status == "provisional")
              for p in ds.totals if (t := rules.time_point(p.period)) is not None]
    return charts.time_chart(title, placed, unit, target=ds.indicator.target_value, target_label=target_label,
                             provisional_label=provisional_label)


def csv_text(ds: Dataset) -> str:
    """Every public figure, one a row (UTF-8 without a BOM when encoded; a computed figure's status is
    `computed`)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    ind = ds.indicator
    for p in ds.points:
        dim, _ = rules.dimension_of(p.category)
        w.writerow([neutral_cell(c) for c in (
            ind.code, p.period, dim, p.category, f"{p.value:g}", ind.unit_en, ind.unit_ja, p.status, p.source,
            p.published_on.isoformat() if p.published_on else "", ";".join(f"{o.value:g}" for o in p.superseded))])
    return out.getvalue()


def metadata(ind: Indicator) -> dict[str, Any]:
    return {"code": ind.code, "title_en": ind.title_en, "title_ja": ind.title_ja, "note_en": ind.note_en,
            "note_ja": ind.note_ja, "unit_en": ind.unit_en, "unit_ja": ind.unit_ja, "source_en": ind.source_en,
            "source_ja": ind.source_ja, "periodicity": ind.periodicity, "period_type": ind.period_type,
            "period_form": rules.period_form(ind.period_type, ind.periodicity), "scale": ind.scale,
            "direction": ind.direction, "breakdown": list(ind.breakdown or []), "measures": list(ind.measures or []),
            "pillars": list(ind.pillars or []), "target_value": ind.target_value, "target_period": ind.target_period,
            "computed_by": ind.provider}


def json_data(ds: Dataset) -> dict[str, Any]:
    """The dataset as the JSON download gives it: metadata in both languages, the figures, the withdrawals."""
    return {
        "indicator": metadata(ds.indicator),
        "last_change": ds.last_change.isoformat() if ds.last_change else None,
        "values": [{"period": p.period, "dimension": rules.dimension_of(p.category)[0], "category": p.category,
                    "value": p.value, "status": p.status, "source": p.source,
                    "published_on": p.published_on.isoformat() if p.published_on else None,
                    "corrects": [o.value for o in p.superseded]} for p in ds.points],
        "withdrawn": [{"period": v.period, "category": v.category, "reason": v.withdrawn_reason,
                       "withdrawn_at": v.withdrawn_at.isoformat() if v.withdrawn_at else None} for v in ds.withdrawn],
    }
