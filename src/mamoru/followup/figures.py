"""Figures other domains compute for the plan's indicators, published as stored values.

A domain's indicator provider (mamoru.domain.IndicatorProvider) reads that domain's tables, which
most processes may not read: the public portal's database user reads no hotline table. So the
domain's worker publishes what the provider computes here, with its source and time, and every
process that may not compute the provider shows the published values instead (`values_for`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mamoru.db import utcnow
from mamoru.domain import PERIOD_TYPES, Computed, IndicatorProvider
from mamoru.followup.models import PublishedFigure


def publish(session: Session, providers: Iterable[IndicatorProvider], source: str,
            now: datetime | None = None) -> int:
    """Compute each provider for both period types and replace what was published for it.
    Returns how many values are published now."""
    now = now or utcnow()
    count = 0
    for provider in providers:
        for period_type in PERIOD_TYPES:
            values = provider.compute(session, period_type, ())
            session.execute(delete(PublishedFigure).where(PublishedFigure.provider == provider.code,
                                                          PublishedFigure.period_type == period_type))
            session.add_all(PublishedFigure(provider=provider.code, period_type=period_type, period=c.period,
                                            category=c.category, value=c.value, note=c.note,
                                            source=provider.source or source, computed_at=now) for c in values)
            count += len(values)
    session.flush()
    return count


def values_for(session: Session, provider: str, period_type: str) -> list[tuple[Computed, datetime]]:
    """What was published for `provider`, with when it was computed."""
    rows = session.scalars(select(PublishedFigure).where(PublishedFigure.provider == provider,
                                                         PublishedFigure.period_type == period_type)
                           .order_by(PublishedFigure.period, PublishedFigure.category))
    return [(Computed(r.period, r.value, r.category, r.note or r.source), r.computed_at) for r in rows]
