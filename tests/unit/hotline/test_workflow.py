"""The case workflow as a pure table: routes after assessment, allowed steps, automation under a
police hold, triage priority and service levels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamoru.hotline import workflow as wf


def test_actionable_in_japan_goes_to_police_first_abroad_to_partner() -> None:
    assert wf.route_after_assessment("csam", "JP") == wf.ASSESS_DOMESTIC
    assert wf.route_after_assessment("solicitation", "jp") == wf.ASSESS_DOMESTIC
    assert wf.route_after_assessment("csam", "NL") == wf.ASSESS_ABROAD
    for v in ("harmful", "not_illegal", "unreachable"):
        assert wf.route_after_assessment(v, "JP") == wf.ASSESS_NO_ACTION
    with pytest.raises(ValueError):
        wf.route_after_assessment("maybe", "JP")


def test_the_domestic_path_to_removal_and_back() -> None:
    s = wf.QUEUED
    for step, expected in [(wf.ASSESS_DOMESTIC, wf.REFERRAL_PENDING), (wf.REFER, wf.NOTICE_PENDING),
                           (wf.NOTICE_SENT, wf.REMOVAL_PENDING), (wf.NOTICE_SENT, wf.REMOVAL_PENDING),
                           (wf.VERIFIED_REMOVED, wf.REMOVED), (wf.REAPPEARED, wf.REMOVAL_PENDING)]:
        s = wf.next_status(s, step)
        assert s == expected


def test_no_deletion_request_before_the_police_referral() -> None:
    with pytest.raises(wf.TransitionRefused):
        wf.next_status(wf.REFERRAL_PENDING, wf.NOTICE_SENT)
    with pytest.raises(wf.TransitionRefused):
        wf.next_status(wf.QUEUED, wf.REFER)


def test_priority_orders_danger_then_flagger_then_content_type() -> None:
    danger = wf.priority(True, False, "")
    flagger = wf.priority(False, True, "text")
    image = wf.priority(False, False, "image")
    text = wf.priority(False, False, "text")
    assert danger > flagger > image > text


def test_service_levels() -> None:
    t0 = datetime(2026, 4, 1, tzinfo=UTC)
    levels = wf.ServiceLevels(assess_hours=24, danger_assess_hours=1, escalate_days=7)
    assert wf.assessment_due(t0, False, levels) == t0 + timedelta(hours=24)
    assert wf.assessment_due(t0, True, levels) == t0 + timedelta(hours=1)
    assert not wf.should_escalate(t0, False, t0 + timedelta(days=6), levels)
    assert wf.should_escalate(t0, False, t0 + timedelta(days=7), levels)
    assert not wf.should_escalate(t0, True, t0 + timedelta(days=8), levels)


def test_a_removal_counts_when_two_checks_at_least_12_hours_apart_agree() -> None:
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    step = wf.removal_check_step
    assert step(wf.REMOVAL_PENDING, "removed", None, None, 0, t0) == wf.SEEN_ONCE
    assert step(wf.REMOVAL_PENDING, "removed", t0, None, 0, t0 + timedelta(hours=11, minutes=59)) is None
    assert step(wf.REMOVAL_PENDING, "removed", t0, None, 0, t0 + timedelta(hours=12)) == wf.CONFIRMED
    assert step(wf.REMOVAL_PENDING, "present", t0, None, 0, t0 + timedelta(hours=6)) == wf.NOT_CONFIRMED
    for outcome in ("error", "refused", "inconclusive"):  # a failed check neither confirms nor starts over
        assert step(wf.REMOVAL_PENDING, outcome, t0, None, 0, t0 + timedelta(hours=13)) is None
    # a URL that reappeared before waits for an analyst, however often the checks agree
    assert step(wf.REMOVAL_PENDING, "removed", t0, None, 1, t0 + timedelta(hours=12)) == wf.AWAITS_ANALYST
    later = t0 + timedelta(hours=12)
    assert step(wf.REMOVAL_PENDING, "removed", t0, later, 1, t0 + timedelta(days=3)) is None
    assert step(wf.REMOVAL_PENDING, "present", t0, later, 1, t0 + timedelta(days=3)) == wf.NOT_CONFIRMED
    assert step(wf.REMOVED, "present", t0, None, 0, later) == wf.BACK
    assert step(wf.REMOVED, "removed", t0, None, 0, later) is None
    assert step(wf.NOTICE_PENDING, "removed", None, None, 0, t0) is None


EVENTS = sorted({e for (_, e) in wf.TRANSITIONS})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(EVENTS), max_size=30))
def test_any_sequence_of_steps_stays_within_known_statuses(steps: list[str]) -> None:
    s = wf.QUEUED
    for step in steps:
        try:
            s = wf.next_status(s, step)
        except wf.TransitionRefused:
            assert step not in wf.allowed_events(s)
        assert s in wf.STATUSES


def test_every_status_has_one_word_for_the_reporter() -> None:
    assert set(wf.PUBLIC_STATUS) == set(wf.STATUSES)  # a new status must be given its word
    assert wf.public_status(None, False) == wf.RECEIVED  # still in the inbox
    assert wf.public_status(wf.QUEUED, False) == wf.RECEIVED
    assert [wf.public_status(s, False) for s in (wf.CLOSED, wf.REFERRAL_PENDING, wf.FORWARD_PENDING)] == [wf.ASSESSED] * 3
    acted = (wf.NOTICE_PENDING, wf.REMOVAL_PENDING, wf.REMOVED)
    assert [wf.public_status(s, False) for s in acted] == [wf.ACTED_ON] * 3
    assert [wf.public_status(s, True) for s in acted] == [wf.ASSESSED] * 3  # a police hold tells nobody
