"""A measure's history (issue 14; the model is Decidim's accountability results): round by round each
agency's accepted status and narrative (with errata), linked indicators with their latest values, the
meetings' decisions and action items on it, its capabilities and the amendments of its wording; the same
as JSON. The public sees published data only; staff also see accepted entries of unpublished rounds."""

from __future__ import annotations

from datetime import date

from tests.factories.followup import accepted_entry, entry, public_value, reporting_round

from mamoru.auth import roles
from mamoru.followup import alignment, meetings
from mamoru.followup import entries as esvc
from mamoru.followup import indicators as isvc
from mamoru.followup.errata import add_erratum
from mamoru.followup.rounds import publish_round
from mamoru.followup.workflow import Content
from mamoru.plan import service as plan_svc

FIRST, SECOND, DRAFT = "令和4年度は講習会を実施した", "令和5年度はさらに拡充した", "まだ下書きの記述"


def _history_world(session):  # type: ignore[no-untyped-def]
    """Measure 1-1 over two rounds: FY2022 published (NPA accepted, MIC a draft), FY2023 not published
    (NPA accepted); an erratum, an indicator, a meeting's decision and action item, a capability, an amendment."""
    first = reporting_round(session, years=(2022,))
    accepted_entry(session, "1-1", "NPA", FIRST, "Workshops were held", status="in_progress")
    mic = entry(session, "1-1", "MIC")
    esvc.save_entry(session, mic, None, Content("in_progress", "", DRAFT, [], []))
    publish_round(session, None, first)
    add_erratum(session, None, first, reason="年度の誤記", text_ja="正しくは令和4年度後半", entry_key=entry(session, "1-1", "NPA").key)
    second = reporting_round(session, years=(2023,))
    from sqlalchemy import select

    from mamoru.followup.models import RoundEntry
    from mamoru.plan.models import Agency, Measure

    npa2 = session.scalar(select(RoundEntry).join(Measure, RoundEntry.measure_id == Measure.id)
                          .join(Agency, RoundEntry.agency_id == Agency.id)
                          .where(RoundEntry.round_id == second.id, Measure.code == "1-1", Agency.code == "NPA"))
    esvc.save_entry(session, npa2, None, Content("implemented", "", SECOND, [], []), submit=True)
    esvc.accept_entry(session, npa2, None)
    m = plan_svc.get_measure(session, "t-1-01")
    ind = isvc.define_indicator(session, None, "test-filtering", {"title_ja": "フィルタリング利用率（試験）",
                                                                  "unit_ja": "%", "measures": [m.uid],
                                                                  "scale": "percent"})
    public_value(session, ind, "2019", 40, source="内閣府")
    public_value(session, ind, "2023", 48.5, source="内閣府")
    meeting = meetings.record_meeting(session, None, date(2023, 9, 1), "Liaison meeting", "連絡会議",
                                      ["ministerial-meeting-crime"], number=16)
    meetings.add_decision(session, None, meeting, "approve_round_report", "FY2022 report approved",
                          "令和4年度の報告を了承", round_id=first.id)
    meetings.add_action(session, None, meeting, "Extend workshops", "講習会を全国に広げる", m.uid, "NPA", date(2024, 3, 31))
    alignment.map_measure(session, None, m, 1)
    plan_svc.amend_measure(session, m, None, {"title_ja": "フィルタリングの普及啓発の推進"}, "文言の整理", date(2023, 4, 1))
    session.commit()
    return m, first, second


def test_the_public_history_holds_published_data_only(client, ref) -> None:  # type: ignore[no-untyped-def]
    m, first, second = _history_world(ref)
    doc = client.get(f"/api/v1/measures/{m.uid}/history").json()
    assert doc["public"] is True and [x["round"] for x in doc["rounds"]] == [first.id]
    (npa,) = doc["rounds"][0]["entries"]
    assert npa["agency"] == "NPA" and npa["narrative_ja"] == FIRST and npa["status"] == "in_progress"
    assert npa["errata"][0]["text_ja"] == "正しくは令和4年度後半"
    assert doc["indicators"] == [{"indicator": "test-filtering", "title_ja": "フィルタリング利用率（試験）",
                                  "title_en": "フィルタリング利用率（試験）", "unit_ja": "%", "unit_en": "",
                                  "latest": {"period": "2023", "value": 48.5, "status": "final", "source": "内閣府"}}]
    assert [d["text_ja"] for d in doc["decisions"]] == ["令和4年度の報告を了承"]
    assert doc["actions"][0]["owner"] == "NPA" and doc["actions"][0]["due_on"] == "2024-03-31"
    assert [c["number"] for c in doc["capabilities"]] == [1]
    assert doc["amendments"][0]["reason"] == "文言の整理"
    text = str(doc)
    assert SECOND not in text and DRAFT not in text
    page = client.get(f"/portal/measures/{m.uid}?lang=ja").text
    for shown in (FIRST, "正しくは令和4年度後半", "48.5", "令和4年度の報告を了承", "講習会を全国に広げる", "文言の整理"):
        assert shown in page, shown
    assert SECOND not in page and DRAFT not in page
    assert "Workshops were held" in client.get(f"/portal/measures/{m.uid}?lang=en").text
    plan_page = client.get(f"/measures/{m.uid}?lang=ja").text  # the measure page, to the public
    assert FIRST in plan_page and SECOND not in plan_page


def test_staff_also_see_accepted_entries_of_unpublished_rounds(client, ref, make_user, api_token, login_as) -> None:  # type: ignore[no-untyped-def]
    m, first, second = _history_world(ref)
    h = {"Authorization": f"Bearer {api_token(make_user(roles.AUDITOR), ['plan:read'])}"}
    doc = client.get(f"/api/v1/measures/{m.uid}/history", headers=h).json()
    assert doc["public"] is False
    assert [(x["round"], x["published"]) for x in doc["rounds"]] == [(first.id, True), (second.id, False)]
    assert DRAFT not in str(doc)  # drafts never, even for staff
    login_as(make_user(roles.COORDINATOR))
    page = client.get(f"/measures/{m.uid}?lang=ja").text
    assert SECOND in page and "受理済み・未公表" in page and DRAFT not in page
    assert client.get("/api/v1/measures/no-such-measure/history").status_code == 404
