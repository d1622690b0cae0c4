"""The hotline's figures per month and per fiscal year (April to March, Japan time: mamoru.periods).

Reports are counted by the period they arrived in and by source; cases by the period they were
opened in and by verdict. Time to assessment runs from opening to the first assessment; time to
removal from opening to the first verified removal (median and 90th percentile, in hours). Removal
rate: of the cases assessed as illegal, the share verified removed. Reappearance rate: of the cases
removed, the share that came back at least once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.hotline import workflow as wf
from mamoru.hotline.models import HotlineCase, Report
from mamoru.periods import fiscal_period, fiscal_period_label, month_period


def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (p in 0..100); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@dataclass
class PeriodFigures:
    period: str
    reports: int = 0
    reports_by_source: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    cases_by_verdict: dict[str, int] = field(default_factory=dict)
    hours_to_assessment: list[float] = field(default_factory=list)
    hours_to_removal: list[float] = field(default_factory=list)
    actionable: int = 0
    removed: int = 0
    reappeared: int = 0

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)
        return {
            "period": self.period, "reports": self.reports, "reports_by_source": dict(sorted(self.reports_by_source.items())),
            "cases": self.cases, "cases_by_verdict": dict(sorted(self.cases_by_verdict.items())),
            "assessed": len(self.hours_to_assessment),
            "hours_to_assessment_median": r(percentile(self.hours_to_assessment, 50)),
            "hours_to_removal_median": r(percentile(self.hours_to_removal, 50)),
            "hours_to_removal_p90": r(percentile(self.hours_to_removal, 90)),
            "actionable": self.actionable, "removed": self.removed,
            "removal_rate": r(self.removed / self.actionable) if self.actionable else None,
            "reappeared": self.reappeared,
            "reappearance_rate": r(self.reappeared / self.removed) if self.removed else None,
        }


def compute(session: Session, by: str = "fy") -> list[dict[str, Any]]:
    """Figures per period, newest first; `by` is "fy" (fiscal year) or "month"."""
    if by not in ("fy", "month"):
        raise ValueError("by must be fy or month")
    key: Callable[[datetime], str] = fiscal_period if by == "fy" else month_period
    periods: dict[str, PeriodFigures] = defaultdict(lambda: PeriodFigures(""))
    for received_at, source in session.execute(select(Report.received_at, Report.source)):
        f = periods[key(received_at)]
        f.reports += 1
        f.reports_by_source[source] = f.reports_by_source.get(source, 0) + 1
    rows = session.execute(select(HotlineCase.opened_at, HotlineCase.verdict, HotlineCase.first_assessed_at,
                                  HotlineCase.first_removed_at, HotlineCase.reappearances))
    for opened, verdict, assessed, removed, reappearances in rows:
        f = periods[key(opened)]
        f.cases += 1
        label = verdict or "unassessed"
        f.cases_by_verdict[label] = f.cases_by_verdict.get(label, 0) + 1
        if assessed is not None:
            f.hours_to_assessment.append((assessed - opened).total_seconds() / 3600)
        if verdict in wf.ACTIONABLE:
            f.actionable += 1
            if removed is not None:
                f.removed += 1
                f.hours_to_removal.append((removed - opened).total_seconds() / 3600)
                f.reappeared += int(reappearances > 0)
    for name, f in periods.items():
        f.period = name
    return [periods[k].as_dict() for k in sorted(periods, reverse=True)]


def for_fiscal_year(session: Session, year: int) -> dict[str, Any]:
    label = fiscal_period_label(year)
    found = [f for f in compute(session, "fy") if f["period"] == label]
    return found[0] if found else PeriodFigures(label).as_dict()
