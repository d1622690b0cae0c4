"""The hotline's figures per month and per fiscal year, through the API and the page, against values
worked out by hand for a small set of cases (all in FY2035; times at 12:00 Japan time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import hotline
from tests.factories.hotline import STAFF_SCOPES

from mamoru.hotline import service
from mamoru.hotline.checker import CheckResult
from mamoru.hotline.workflow import ServiceLevels

LEVELS = ServiceLevels()


def _report(session, url: str, at: datetime, source: str = "public", flagger=None):  # type: ignore[no-untyped-def]
    return hotline.report(session, url, source=source, levels=LEVELS, flagger=flagger,
                          partner="Partner" if source == "partner" else "", now=at)


def _illegal(session, analyst, case, opened: datetime, assess_h: float, removed_h: float | None) -> None:  # type: ignore[no-untyped-def]
    service.assess(session, case, analyst, "csam", legal_basis="child-pornography", hosting_country="NL",
                   now=opened + timedelta(hours=assess_h))
    service.forward_abroad(session, case, analyst, "Partner", now=opened + timedelta(hours=assess_h + 1))
    if removed_h is not None:  # gone at removed_h, confirmed by a second check 12 hours later
        for after in (0, 12):
            service.record_check(session, case, CheckResult("removed", 404), 6,
                                 now=opened + timedelta(hours=removed_h + after))


def _cases(session, make_user) -> object:  # type: ignore[no-untyped-def]
    """May 2035: three cases assessed illegal after 2, 4 and 6 hours; two removed after 24 and 72 hours,
    the second of which comes back; a flagger's duplicate joins the first. June 2035: one case assessed
    not illegal after 10 hours, one from a partner hotline not yet assessed."""
    analyst, flagger = make_user("analyst"), make_user("analyst")
    may = [datetime(2035, 5, d, 3, tzinfo=UTC) for d in (10, 11, 12)]
    c1 = _report(session, "http://fig.example.test/1", may[0]).case
    _report(session, "http://fig.example.test/1", may[0] + timedelta(hours=1), "flagger", flagger)
    c2 = _report(session, "http://fig.example.test/2", may[1], "flagger", flagger).case
    c3 = _report(session, "http://fig.example.test/3", may[2]).case
    _illegal(session, analyst, c1, may[0], 2, 24)
    _illegal(session, analyst, c2, may[1], 4, 72)
    service.record_check(session, c2, CheckResult("present", 200), 6, now=may[1] + timedelta(days=5))
    _illegal(session, analyst, c3, may[2], 6, None)
    june = datetime(2035, 6, 2, 3, tzinfo=UTC)
    c4 = _report(session, "http://fig.example.test/4", june).case
    service.assess(session, c4, analyst, "not_illegal", now=june + timedelta(hours=10))
    _report(session, "http://fig.example.test/5", june + timedelta(days=1), "partner", flagger)
    session.commit()
    return analyst


MAY = {"period": "2035-05", "reports": 4, "reports_by_source": {"flagger": 2, "public": 2}, "cases": 3,
       "cases_by_verdict": {"csam": 3}, "assessed": 3, "hours_to_assessment_median": 4.0,
       "hours_to_removal_median": 48.0, "hours_to_removal_p90": 67.2,  # 24 + (72 - 24) * 0.9
       "actionable": 3, "removed": 2, "removal_rate": 0.67, "reappeared": 1, "reappearance_rate": 0.5}
JUNE = {"period": "2035-06", "reports": 2, "reports_by_source": {"partner": 1, "public": 1}, "cases": 2,
        "cases_by_verdict": {"not_illegal": 1, "unassessed": 1}, "assessed": 1, "hours_to_assessment_median": 10.0,
        "hours_to_removal_median": None, "hours_to_removal_p90": None, "actionable": 0, "removed": 0,
        "removal_rate": None, "reappeared": 0, "reappearance_rate": None}
FY = {**MAY, "period": "FY2035", "reports": 6, "reports_by_source": {"flagger": 2, "partner": 1, "public": 3},
      "cases": 5, "cases_by_verdict": {"csam": 3, "not_illegal": 1, "unassessed": 1}, "assessed": 4,
      "hours_to_assessment_median": 5.0}


def test_figures_by_month_and_fiscal_year_match_the_hand_count(hl_client, session, make_user, api_token,
                                                               definitions) -> None:  # type: ignore[no-untyped-def]
    analyst = _cases(session, make_user)
    h = {"Authorization": f"Bearer {api_token(analyst, STAFF_SCOPES)}"}
    r = hl_client.get("/api/v1/hotline/figures?by=month", headers=h)
    assert r.status_code == 200
    by_month = {row["period"]: row for row in r.json()}
    assert by_month["2035-05"] == MAY
    assert by_month["2035-06"] == JUNE
    months = [p for p in by_month if p.startswith("2035-")]
    assert months == ["2035-06", "2035-05"]  # newest first, no month without reports
    by_fy = {row["period"]: row for row in hl_client.get("/api/v1/hotline/figures?by=fy", headers=h).json()}
    assert by_fy["FY2035"] == FY
    assert hl_client.get("/api/v1/hotline/figures?by=week", headers=h).status_code == 422


def test_figures_page_by_month(hl_client, session, make_user, login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst = _cases(session, make_user)
    login_as(analyst)
    page = hl_client.get("/hotline/figures?by=month&lang=en").text
    row = page.split("<td>2035-05</td>", 1)[1].split("</tr>", 1)[0]
    assert "67.2" in row and "48.0" in row and "4.0" in row
    assert "67% (2/3)" in row and "50%" in row
