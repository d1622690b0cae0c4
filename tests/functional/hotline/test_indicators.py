"""The hotline's figures reach the plan's follow-up as computed indicators, per fiscal year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mamoru.hotline import indicators as hl_indicators
from mamoru.hotline import intake, service
from mamoru.hotline.checker import CheckResult
from mamoru.hotline.workflow import ServiceLevels


def _removed_case(session, analyst, url, opened, removed_after):  # type: ignore[no-untyped-def]
    report = intake.submit(session, intake.ReportInput(url=url), "public", ServiceLevels(), now=opened)
    case = report.case
    service.assess(session, case, analyst, "csam", legal_basis="child-pornography", hosting_country="NL",
                   now=opened + timedelta(hours=3))
    service.forward_abroad(session, case, analyst, "Partner", now=opened + timedelta(hours=4))
    if removed_after is not None:  # gone, and confirmed by a second check 12 hours later
        for later in (timedelta(0), timedelta(hours=12)):
            service.record_check(session, case, CheckResult("removed", 404), 6, now=opened + removed_after + later)
    return case


def test_fiscal_year_values(session, make_user, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst = make_user("analyst")
    march = datetime(2031, 3, 20, 3, tzinfo=UTC)  # FY2030
    april = datetime(2031, 4, 10, 3, tzinfo=UTC)  # FY2031
    _removed_case(session, analyst, "http://fy.example.test/a", march, timedelta(days=2))
    _removed_case(session, analyst, "http://fy.example.test/b", april, timedelta(days=4))
    _removed_case(session, analyst, "http://fy.example.test/c", april, None)
    rate = hl_indicators.compute(session, "removal_rate", fiscal=True)
    assert rate["FY2030"] == 100.0 and rate["FY2031"] == 50.0
    assert hl_indicators.compute(session, "median_removal_days", fiscal=True)["FY2031"] == 4.0
    assert hl_indicators.compute(session, "reports_received", fiscal=False)["2031"] >= 3


def test_computed_live_in_hotline_processes_and_published_for_the_others(session, make_user, definitions) -> None:  # type: ignore[no-untyped-def]
    """A hotline process computes the figures itself; the portal and the office never do: they show
    what the hotline worker published (with its source and time), and nothing before it has."""
    from mamoru import composition
    from mamoru.followup import figures
    from mamoru.followup import indicators as followup
    from mamoru.followup.models import Indicator

    hotline_live, portal_live = composition.live_providers("hotline"), composition.live_providers("portal")
    assert "hotline.removal_rate" in hotline_live and "hotline.removal_rate" not in portal_live
    assert not any(code.startswith("hotline.") for code in composition.live_providers("office"))
    ind = Indicator(code="test-hotline-removal", title_en="Removal rate", title_ja="削除率", period_type="fiscal",
                    provider="hotline.removal_rate")
    session.add(ind)
    session.flush()
    analyst = make_user("analyst")
    opened = datetime(2032, 5, 1, tzinfo=UTC)
    case = _removed_case(session, analyst, "http://fu.example.test/x", opened, None)
    before = {p.period: p.value for p in followup.series(session, ind, hotline_live)}
    for later in (timedelta(days=1), timedelta(days=1, hours=12)):  # removal counts when a second check agrees
        service.record_check(session, case, CheckResult("removed", 404), 6, now=opened + later)
    after = {p.period: p.value for p in followup.series(session, ind, hotline_live)}
    assert before.get("FY2032") != after["FY2032"]
    assert after["FY2032"] > (before.get("FY2032") or 0)

    assert "FY2032" not in {p.period for p in followup.series(session, ind, portal_live)}  # nothing published yet
    published = composition.published_by(composition.HOTLINE)
    assert {p.code for p in published} == {p.code for p in hl_indicators.PROVIDERS}
    assert figures.publish(session, published, source="test worker") > 0
    shown = {p.period: (p.value, p.status) for p in followup.series(session, ind, portal_live)}
    assert shown["FY2032"] == (after["FY2032"], "computed")
    (value, computed_at), = [(c, at) for c, at in figures.values_for(session, "hotline.removal_rate", "fiscal")
                             if c.period == "FY2032"]
    assert value.note and computed_at is not None


SHIPPED_FOR_DELETION = {"hotline.removal_rate": 80.0, "hotline.median_removal_days": 2.5,
                        "hotline.p90_removal_days": 7.9, "hotline.reappearance_rate": 25.0}


def test_shipped_indicators_for_the_deletion_of_images(loaded, make_user, definitions) -> None:  # type: ignore[no-untyped-def]
    """The shipped follow-up data registers removal rate, time to removal and reappearance as fiscal-year
    indicators linked to the plan's measures on images on the internet, and they compute from cases."""
    from mamoru.followup import indicators as isvc
    from mamoru.followup.reference import load_reference, read
    from mamoru.plan.models import Measure

    session = loaded
    shipped = {row.get("provider"): row for row in read("indicators.yaml")["indicators"]}
    assert {p for p in shipped if p and p.startswith("hotline.")} <= {f"hotline.{c}" for c in hl_indicators.CODES}
    load_reference(session)
    from mamoru.composition import live_providers
    inds = {i.provider: i for i in isvc.indicators(session) if i.provider in SHIPPED_FOR_DELETION}
    assert set(inds) == set(SHIPPED_FOR_DELETION)
    for ind in inds.values():
        assert ind.period_type == "fiscal" and 3 in ind.pillars
        assert "bp17-3-02" in ind.measures
        found = set(session.scalars(select(Measure.uid).where(Measure.uid.in_(ind.measures))))
        assert found == set(ind.measures), f"{ind.code} links measures the plan does not have"

    analyst = make_user("analyst")
    opened = datetime(2033, 6, 1, 3, tzinfo=UTC)  # FY2033
    for i, days in enumerate((1, 2, 3, 10)):
        case = _removed_case(session, analyst, f"http://del.example.test/{i}", opened + timedelta(minutes=i),
                             timedelta(days=days))
        if days == 3:  # it comes back after removal: one reappearance among four removed
            service.record_check(session, case, CheckResult("present", 200), 6,
                                 now=opened + timedelta(minutes=i, days=5))
    _removed_case(session, analyst, "http://del.example.test/kept", opened + timedelta(minutes=9), None)
    for provider, expected in SHIPPED_FOR_DELETION.items():
        values = {p.period: (p.value, p.status) for p in isvc.series(session, inds[provider], live_providers("hotline"))}
        assert values.get("FY2033") == (expected, "computed"), provider
