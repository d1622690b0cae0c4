"""The rules an indicator value must meet (period form by periodicity, range by scale, breakdown keys)
and the true time axis of the indicator chart."""

from __future__ import annotations

import re
from datetime import date

import pytest

from mamoru.followup import charts
from mamoru.followup import indicator_rules as rules

TODAY = date(2026, 2, 10)  # in FY2025, calendar year 2026


@pytest.mark.parametrize("period,period_type,periodicity,ok", [
    ("2023", "calendar", "yearly", True), ("2026", "calendar", "yearly", True),
    ("2027", "calendar", "yearly", False), ("FY2023", "calendar", "yearly", False), ("banana", "calendar", "yearly", False),
    ("1899", "calendar", "yearly", False), (" 2023", "calendar", "yearly", False),
    ("FY2025", "fiscal", "yearly", True), ("FY2026", "fiscal", "yearly", False), ("2023", "fiscal", "yearly", False),
    ("2026-02", "calendar", "monthly", True), ("2026-03", "calendar", "monthly", False),
    ("2011-13", "calendar", "monthly", False), ("2011", "calendar", "monthly", False),
])
def test_period_in_the_indicators_periodicity(period: str, period_type: str, periodicity: str, ok: bool) -> None:
    assert (rules.period_problem(period, period_type, periodicity, TODAY) is None) is ok


@pytest.mark.parametrize("value,scale,ok", [
    (0, "count", True), (1487, "count", True), (-5, "count", False), (2.5, "count", False),
    (0, "percent", True), (100, "percent", True), (100.5, "percent", False), (-1, "percent", False),
    (12.5, "quantity", True), (-0.5, "quantity", False), (float("nan"), "quantity", False),
    (float("inf"), "count", False),
])
def test_value_in_the_range_of_its_scale(value: float, scale: str, ok: bool) -> None:
    assert (rules.value_problem(value, scale) is None) is ok


def test_breakdown_keys() -> None:
    assert rules.category_problem("", []) is None
    assert rules.category_problem("sex:female", []) is not None
    assert rules.category_problem("prefecture:13", ["prefecture"]) is None
    assert rules.category_problem("prefecture:48", ["prefecture"]) is not None
    assert rules.category_problem("age:elementary", ["age:elementary", "sex"]) is None
    assert rules.category_problem("sex:male", ["age:elementary", "sex"]) is None
    assert rules.category_problem("age:toddler", ["age:elementary"]) is not None
    assert len(rules.categories(["prefecture", "sex"])) == 49
    assert rules.breakdown_errors(["prefecture", "age:elementary", "elementary", "Age:x"]) == ["elementary", "Age:x"]


def test_periods_on_a_true_time_axis() -> None:
    assert rules.time_point("2023").x == 2023.5  # type: ignore[union-attr]
    assert rules.time_point("FY2023").start == 2023.25  # type: ignore[union-attr]  # April 2023
    assert rules.time_point("2011-07").start == pytest.approx(2011.5)  # type: ignore[union-attr]
    assert rules.time_point("banana") is None


def test_chart_spaces_periods_by_their_time_not_their_order() -> None:
    points = [(rules.time_point(p).x, p, v, False) for p, v in (("2007", 10), ("2011", 20), ("2012", 30))]  # type: ignore[union-attr]
    svg = charts.time_chart("t", points, target=40, target_label="Target")
    xs = {p: float(x) for x, p in re.findall(r'<circle cx="([\d.]+)"[^>]*data-period="(\d+)"', svg)}
    assert xs["2011"] - xs["2007"] == pytest.approx(4 * (xs["2012"] - xs["2011"]), rel=0.01)
    assert 'class="target"' in svg and "Target 40" in svg
    provisional = charts.time_chart("t", [(2019.5, "2019", 5.0, True)], provisional_label="provisional")
    assert 'fill="#fff"' in provisional and "(provisional)" in provisional
