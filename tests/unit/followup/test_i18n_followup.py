"""Every follow-up interface string, including labels chosen at run time, has a Japanese translation."""

from __future__ import annotations

from mamoru.followup.workflow import ENTRY_STATES, TRANSITIONS
from mamoru.i18n import catalogue

ROUND_STATES = ("open", "closed", "published")


def test_dynamic_labels_are_translated() -> None:
    ja = catalogue("ja")
    actions = {a for a, _ in TRANSITIONS} | {"import"}
    labels = {s.capitalize() for s in (*ENTRY_STATES, *ROUND_STATES, *actions)}
    assert sorted(m for m in labels if m not in ja) == []


def test_indicator_keyed_labels_are_translated_in_both_languages() -> None:
    """The review states, periodicities, breakdown dimensions and categories the indicator pages name
    through keyed message ids (review:draft, dimension:age, category:age:elementary)."""
    from mamoru.followup.indicator_rules import DIMENSIONS, PERIODICITIES, SEXES, categories
    from mamoru.followup.indicator_values import REVIEWS
    from mamoru.followup.reference import read

    breakdowns = [k for row in read("indicators.yaml")["indicators"] for k in row.get("breakdown", [])]
    keyed = ([f"review:{r}" for r in REVIEWS] + [f"periodicity:{p}" for p in PERIODICITIES]
             + [f"dimension:{d}" for d in DIMENSIONS] + [f"category:sex:{s}" for s in SEXES]
             + [f"category:{c}" for c in categories(breakdowns) if not c.startswith("prefecture:")])
    for lang in ("ja", "en"):
        assert [k for k in keyed if k not in catalogue(lang)] == [], lang
