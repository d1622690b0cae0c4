"""What an indicator value must be: its period in the indicator's periodicity and format, its number in
the range of the indicator's scale, its category one of the indicator's breakdown. And where a period
sits on a true time axis, for the charts.

Pure: no database, no web. Every door (API, page, CLI) reaches these through
mamoru.followup.indicator_values, which names each refusal as a Problem with a translatable reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from mamoru.errors import Problem
from mamoru.periods import fiscal_year

PERIODICITIES = ("yearly", "monthly")
SCALES = ("count", "percent", "quantity")
"""count: whole numbers, 0 or more; percent: 0 to 100; quantity: any number, 0 or more (days, for example)."""
SEXES = ("female", "male")
PREFECTURE_CODES = tuple(f"{n:02d}" for n in range(1, 48))
DIMENSIONS = ("prefecture", "sex", "age")
"""The breakdowns the statistics come in. An indicator's `breakdown` lists `prefecture` (the 47 JIS
codes), `sex` (female, male) or its own keys written `dimension:key` (`age:elementary`)."""

_YEAR = re.compile(r"^(\d{4})$")
_FISCAL = re.compile(r"^FY(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_YEAR = 1945


def period_form(period_type: str, periodicity: str) -> str:
    """The form a period is written in, as an example: 2023, FY2023 or 2023-07."""
    if periodicity == "monthly":
        return "2023-07"
    return "FY2023" if period_type == "fiscal" else "2023"


def period_problem(period: str, period_type: str, periodicity: str, today: date) -> Problem | None:
    """Why `period` is no period of this indicator (None: it is one): the wrong form, or one that has
    not begun yet."""
    if periodicity == "monthly":
        m = _MONTH.match(period)
        if not m:
            return Problem.of(None, "period", "a month written like 2023-07 (this indicator counts by month), "
                                              "not {given}", given=period)
        year, month = int(m.group(1)), int(m.group(2))
        started = (year, month) <= (today.year, today.month)
    elif period_type == "fiscal":
        m = _FISCAL.match(period)
        if not m:
            return Problem.of(None, "period", "a fiscal year written like FY2023 (this indicator counts by "
                                              "fiscal year, April to March), not {given}", given=period)
        year = int(m.group(1))
        started = year <= fiscal_year(today)
    else:
        m = _YEAR.match(period)
        if not m:
            return Problem.of(None, "period", "a calendar year written like 2023 (this indicator counts by "
                                              "calendar year), not {given}", given=period)
        year = int(m.group(1))
        started = year <= today.year
    if year < FIRST_YEAR:
        return Problem.of(None, "period", "a period from {first} on", first=FIRST_YEAR)
    if not started:
        return Problem.of(None, "period", "{given} has not begun yet", given=period)
    return None


def value_problem(value: float, scale: str) -> Problem | None:
    """Why `value` is out of the indicator's range (None: it is in it)."""
    if not math.isfinite(value):
        return Problem(None, "value", "a finite number")
    if scale == "percent" and not 0 <= value <= 100:
        return Problem(None, "value", "a percentage from 0 to 100")
    if scale == "count" and (value < 0 or value != int(value)):
        return Problem(None, "value", "a count: a whole number, 0 or more")
    if value < 0:
        return Problem(None, "value", "a number, 0 or more")
    return None


def categories(breakdown: Sequence[str]) -> list[str]:
    """Every category key an indicator with this breakdown takes ("" is the total, always taken)."""
    out: list[str] = []
    for item in breakdown:
        if item == "prefecture":
            out += [f"prefecture:{c}" for c in PREFECTURE_CODES]
        elif item == "sex":
            out += [f"sex:{s}" for s in SEXES]
        else:
            out.append(item)
    return out


def category_problem(category: str, breakdown: Sequence[str]) -> Problem | None:
    if not category or category in categories(breakdown):
        return None
    if not breakdown:
        return Problem.of(None, "category", "this indicator has no breakdown: leave it empty, not {given}",
                          given=category)
    return Problem.of(None, "category", "one of the indicator's breakdown keys ({known}), not {given}",
                      known=", ".join(_shown(breakdown)), given=category)


def _shown(breakdown: Sequence[str]) -> list[str]:
    return ["prefecture:01…47" if b == "prefecture" else "sex:female, sex:male" if b == "sex" else b for b in breakdown]


def dimension_of(category: str) -> tuple[str, str]:
    """("age", "elementary") for "age:elementary"; ("", "") for the total."""
    dim, _, key = category.partition(":")
    return (dim, key) if key else ("", category)


def breakdown_errors(breakdown: Sequence[str]) -> list[str]:
    """The items of a definition's breakdown that are neither a known dimension nor `dimension:key`."""
    return [b for b in breakdown if b not in ("prefecture", "sex") and not re.match(r"^[a-z][a-z0-9-]*:[A-Za-z0-9_-]+$", b)]


@dataclass(frozen=True)
class TimePoint:
    """A period placed on the time axis: `x` in years (2023.5 is the middle of 2023)."""

    period: str
    x: float
    start: float
    end: float


def time_point(period: str) -> TimePoint | None:
    """Where a period lies in time: a calendar year spans January to December, a fiscal year April to
    March, a month its month. None for a period in no known form (never shown on an axis)."""
    if m := _MONTH.match(period):
        start = int(m.group(1)) + (int(m.group(2)) - 1) / 12
        return TimePoint(period, start + 1 / 24, start, start + 1 / 12)
    if m := _FISCAL.match(period):
        start = int(m.group(1)) + 0.25
        return TimePoint(period, start + 0.5, start, start + 1)
    if m := _YEAR.match(period):
        start = float(m.group(1))
        return TimePoint(period, start + 0.5, start, start + 1)
    return None
