"""The fiscal year (April to March, Japan time), defined once in mamoru.periods for every part."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mamoru import periods
from mamoru.i18n import fiscal_year_label
from mamoru.periods import JST, calendar_period, fiscal_period, fiscal_year, month_period


def test_the_fiscal_year_turns_at_midnight_on_1_april_in_japan() -> None:
    assert fiscal_year(datetime(2026, 3, 31, 23, 59, tzinfo=JST)) == 2025
    assert fiscal_year(datetime(2026, 4, 1, 0, 0, tzinfo=JST)) == 2026
    # 31 March 15:00 UTC is 1 April 00:00 in Japan: the new fiscal year; a minute earlier, the old one
    assert fiscal_year(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == 2026
    assert fiscal_year(datetime(2026, 3, 31, 14, 59, tzinfo=UTC)) == 2025
    assert fiscal_period(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == "FY2026"


def test_dates_calendar_years_and_months() -> None:
    assert (fiscal_year(date(2027, 3, 31)), fiscal_year(date(2027, 4, 1))) == (2026, 2027)
    assert calendar_period(datetime(2026, 12, 31, 15, 0, tzinfo=UTC)) == "2027"  # already 1 January in Japan
    assert month_period(datetime(2026, 1, 31, 15, 0, tzinfo=UTC)) == "2026-02"
    assert periods.period_of(date(2026, 5, 1), fiscal=True) == "FY2026" == fiscal_year_label(2026, "en")
    assert fiscal_year_label(2026, "ja") == "令和8年度"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        fiscal_year(datetime(2026, 4, 1))
