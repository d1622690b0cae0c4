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
