"""Periods figures are counted in: the Japanese fiscal year (April to March, in Japan time), the
calendar year and the month, and their labels ("FY2026", "2026", "2026-02").

A moment (an aware datetime, as mamoru stores them: UTC) counts on the day it is in Japan, so
31 March 15:00 UTC is already 1 April and the new fiscal year. A date is taken as a Japanese date.
Every part of mamoru that assigns something to a fiscal year (the hotline's figures, the
follow-up's computed indicators, the labels of reporting rounds) asks this module.

This module is foundation: it imports no domain.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
FISCAL_YEAR_FIRST_MONTH = 4
"""The Japanese fiscal year starts on 1 April; FY2026 runs from 1 April 2026 to 31 March 2027."""


def japan_date(when: datetime | date) -> date:
    """The day `when` falls on in Japan; a naive datetime is refused (its zone would be a guess)."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("a naive datetime has no place in time; give it a time zone (mamoru stores UTC)")
        return when.astimezone(JST).date()
    return when


def today() -> date:
    """Today's date in Japan."""
    return japan_date(datetime.now(UTC))


def fiscal_year(when: datetime | date) -> int:
    """The Gregorian year in which the fiscal year of `when` starts (31 March 2027 -> 2026)."""
    day = japan_date(when)
    return day.year if day.month >= FISCAL_YEAR_FIRST_MONTH else day.year - 1


def fiscal_period_label(year: int) -> str:
    """The period label of a fiscal year: 2026 -> "FY2026"."""
    return f"FY{year}"


def fiscal_period(when: datetime | date) -> str:
    """The fiscal-year period `when` counts in: "FY2026"."""
    return fiscal_period_label(fiscal_year(when))


def calendar_period(when: datetime | date) -> str:
    """The calendar-year period `when` counts in, in Japan time: "2026"."""
    return str(japan_date(when).year)


def month_period(when: datetime | date) -> str:
    """The month `when` counts in, in Japan time: "2026-02"."""
    return f"{japan_date(when):%Y-%m}"


def period_of(when: datetime | date, fiscal: bool) -> str:
    """The fiscal ("FY2026") or calendar ("2026") period of `when`."""
    return fiscal_period(when) if fiscal else calendar_period(when)
