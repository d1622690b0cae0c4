"""The hotline's figures as computed indicators of the plan's follow-up.

`PROVIDERS` are declared in mamoru.hotline.setup; an indicator whose `provider` names one of these
codes shows the hotline's values for periods without an entered figure. Only hotline processes
compute them (they read hotline tables); the hotline worker publishes them every round
(mamoru.followup.figures), and the portal and the office show what was published. Periods follow
the indicator: fiscal ("FY2026", April to March in Japan time) or calendar ("2026"), as mamoru.periods counts them.

Codes: hotline.reports_received, hotline.reports_illegal, hotline.removed, hotline.removal_rate (%),
hotline.median_removal_days, hotline.p90_removal_days, hotline.median_assessment_hours,
hotline.reappearance_rate (%).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.domain import Computed, IndicatorProvider
from mamoru.hotline import workflow as wf
from mamoru.hotline.figures import percentile
from mamoru.hotline.models import HotlineCase, Report
from mamoru.periods import period_of


def _cases(session: Session) -> list[Any]:
    return list(session.execute(select(HotlineCase.opened_at, HotlineCase.verdict, HotlineCase.first_assessed_at,
                                       HotlineCase.first_removed_at, HotlineCase.reappearances)))


def compute(session: Session, code: str, fiscal: bool) -> dict[str, float]:
    """Values by period for one provider code (pure reading; no side effects)."""
    if code in ("reports_received", "reports_illegal"):
        q = select(Report.received_at, HotlineCase.verdict).join(HotlineCase, Report.case_id == HotlineCase.id)
        counts: dict[str, float] = defaultdict(float)
        for at, verdict in session.execute(q):
            if code == "reports_received" or verdict in wf.ACTIONABLE:
                counts[period_of(at, fiscal)] += 1
        return dict(counts)
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in _cases(session):
        groups[period_of(row.opened_at, fiscal)].append(row)
    out: dict[str, float] = {}
    for period, rows in groups.items():
        actionable = [r for r in rows if r.verdict in wf.ACTIONABLE]
        removed = [r for r in actionable if r.first_removed_at is not None]
        days = [(r.first_removed_at - r.opened_at).total_seconds() / 86400 for r in removed]
        hours = [(r.first_assessed_at - r.opened_at).total_seconds() / 3600 for r in rows if r.first_assessed_at]
        value: float | None = {
            "removed": float(len(removed)),
            "removal_rate": 100 * len(removed) / len(actionable) if actionable else None,
            "median_removal_days": percentile(days, 50),
            "p90_removal_days": percentile(days, 90),
            "median_assessment_hours": percentile(hours, 50),
            "reappearance_rate": 100 * sum(r.reappearances > 0 for r in removed) / len(removed) if removed else None,
        }.get(code)
        if value is not None:
            out[period] = round(value, 2)
    return out


CODES = ("reports_received", "reports_illegal", "removed", "removal_rate", "median_removal_days", "p90_removal_days",
         "median_assessment_hours", "reappearance_rate")


def _provider(code: str) -> IndicatorProvider:
    def provide(session: Session, period_type: str, measures: Sequence[str] = ()) -> list[Computed]:
        values = compute(session, code, period_type == "fiscal")
        return [Computed(period, value, note="computed by mamoru's hotline") for period, value in sorted(values.items())]

    provide.__name__ = f"hotline_{code}"
    return IndicatorProvider(f"hotline.{code}", provide, roles=frozenset({"hotline"}),
                             source="mamoru hotline worker")


PROVIDERS = tuple(_provider(code) for code in CODES)
