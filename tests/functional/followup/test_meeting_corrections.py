"""Correcting a recorded meeting (date, bodies, attendees, agenda, materials) and its decisions, through
the JSON API and the meeting page: only the plan office, always with a reason; the values before are
kept and shown, and every correction is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mamoru.audit import AuditEvent
from mamoru.auth import roles

MEETING = {"held_on": "2025-03-01", "number": 17, "title_en": "Joint meeting", "title_ja": "合同会議",
           "bodies": ["dg-liaison-meeting"], "attendees": [{"name": "山田", "title": "局長", "agency": "CFA"}],
           "agenda": [{"ja": "報告書の了承", "en": "Approval of the report"}],
           "materials": [{"title": "資料1", "url": "https://www.cfa.go.jp/x.pdf"}]}


@pytest.fixture
def headers(ref, make_user, api_token) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    rw = ["plan:read", "plan:write"]
    return {"office": {"Authorization": f"Bearer {api_token(make_user(roles.COORDINATOR), rw)}"},
            "officer": {"Authorization": f"Bearer {api_token(make_user(roles.AGENCY_OFFICER, agency='NPA'), rw)}"}}


def test_api_corrects_meeting_and_decision_keeping_the_values_before(client, ref, headers) -> None:  # type: ignore[no-untyped-def]
    office = headers["office"]
    mid = client.post("/api/v1/followup/meetings", json=MEETING, headers=office).json()["id"]
    did = client.post(f"/api/v1/followup/meetings/{mid}/decisions", json={"kind": "other", "text_ja": "報告を了承"},
                      headers=office).json()["id"]
    url = f"/api/v1/followup/meetings/{mid}"
    fix = {"reason": "議事録との照合", "held_on": "2025-03-04", "bodies": ["dg-liaison-meeting", "public-private-council"],
           "attendees": [{"name": "山田", "title": "審議官", "agency": "CFA"}]}
    assert client.patch(url, json=fix, headers=headers["officer"]).status_code == 403
    assert client.patch(url, json={**fix, "reason": " "}, headers=office).json()["problems"][0]["field"] == "reason"
    assert client.patch(url, json={**fix, "bodies": ["nope"]}, headers=office).status_code == 422
    assert client.patch(url, json={**fix, "title_en": "", "title_ja": ""}, headers=office).status_code == 422
    m = client.patch(url, json=fix, headers=office).json()
    assert m["held_on"] == "2025-03-04" and m["joint"] is True and m["attendees"][0]["title"] == "審議官"
    assert m["title_ja"] == "合同会議" and m["agenda"] == MEETING["agenda"]  # fields left out keep their value
    [c] = m["corrections"]
    assert c["reason"] == "議事録との照合" and c["decision_id"] is None
    assert c["changes"]["held_on"] == ["2025-03-01", "2025-03-04"] and set(c["changes"]) == {"held_on", "bodies", "attendees"}
    assert client.patch(url, json=fix, headers=office).json()["corrections"] == m["corrections"]  # nothing new
    cleared = client.patch(url, json={"reason": "番号なし", "number": None}, headers=office).json()
    assert cleared["number"] is None and cleared["corrections"][-1]["changes"] == {"number": [17, None]}

    d_url = f"{url}/decisions/{did}"
    assert client.patch(d_url, json={"reason": "x", "kind": "vote"}, headers=office).status_code == 422
    assert client.patch(d_url, json={"reason": "x", "round_id": 999999}, headers=office).status_code == 422
    assert client.patch(f"{url}/decisions/999999", json={"reason": "x"}, headers=office).status_code == 404
    assert client.patch(d_url, json={"reason": "x", "text_ja": "y"}, headers=headers["officer"]).status_code == 403
    d = client.patch(d_url, json={"reason": "種別の誤り", "kind": "approve_round_report", "text_en": "Report approved."},
                     headers=office)
    assert d.status_code == 200 and d.json()["kind"] == "approve_round_report" and d.json()["text_ja"] == "報告を了承"
    last = client.get(url, headers=headers["officer"]).json()["corrections"][-1]
    assert last["decision_id"] == did and last["changes"]["kind"] == ["other", "approve_round_report"]
    tags = list(ref.scalars(select(AuditEvent.action).where(AuditEvent.action.like("followup:%:correct"))
                        .order_by(AuditEvent.seq)))
    assert tags == ["followup:meeting:correct", "followup:meeting:correct", "followup:decision:correct"]


def test_meeting_page_corrects_and_shows_history(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(roles.AGENCY_OFFICER, agency="NPA")
    csrf = login_as(make_user(roles.COORDINATOR))
    r = client.post("/followup/meetings", follow_redirects=False, data={
        "csrf_token": csrf, "held_on": "2025-03-01", "number": "17", "title_ja": "第17回 連絡会議",
        "bodies": ["dg-liaison-meeting"], "agenda": "報告書の了承 | Approval of the report",
        "attendees": "山田 | 局長 | CFA", "materials": "https://www.cfa.go.jp/s1.pdf | 資料1"})
    url = r.headers["location"]
    client.post(f"{url}/decisions", data={"csrf_token": csrf, "kind": "other", "text_ja": "了承した。"})
    form = client.get(f"{url}?lang=ja").text
    assert "山田 | 局長 | CFA" in form and "報告書の了承 | Approval of the report" in form  # the form starts from the record
    edit = {"csrf_token": csrf, "held_on": "2025-03-01", "number": "17", "title_ja": "第17回 関係府省庁連絡会議",
            "bodies": ["dg-liaison-meeting"], "agenda": "報告書の了承 | Approval of the report",
            "attendees": "山田 | 局長 | CFA", "materials": "https://www.cfa.go.jp/s1.pdf | 資料1"}
    missing = client.post(f"{url}/edit?lang=en", data=edit)
    assert missing.status_code == 422 and "a correction needs a reason" in missing.text
    assert client.post(f"{url}/edit", data={**edit, "reason": "名称の誤り"}, follow_redirects=False).status_code == 303
    page = client.get(f"{url}?lang=ja").text
    history = page[page.index('id="corrections-table"'):]
    assert "第17回 関係府省庁連絡会議" in page and "第17回 連絡会議" in history and "名称の誤り" in history
    assert history.count("<tr>") == 1 + 1  # the header and the one changed field (title_ja); the rest unchanged
    did = re.search(r'id="decision-(\d+)"', page).group(1)  # type: ignore[union-attr]
    fixed = client.post(f"{url}/decisions/{did}", follow_redirects=False, data={
        "csrf_token": csrf, "kind": "approve_round_report", "text_ja": "了承した。", "reason": "種別の誤り"})
    assert fixed.status_code == 303
    en = client.get(f"{url}?lang=en").text
    assert f"Meeting decision #{did}: Kind" in en and "種別の誤り" in en
    csrf = login_as(officer)
    assert client.post(f"{url}/edit", data={**edit, "csrf_token": csrf, "reason": "x"}).status_code == 403
