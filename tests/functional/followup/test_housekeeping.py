"""Meetings and rounds housekeeping (issue 14): an empty decision or action item is refused with its
reason in the reader's language (API, page with the input kept, command line); a mistaken one is
withdrawn with a reason kept in the correction log; a round's due date is extended with a reason
(kept, shown); a round is not opened on a plan with no measures or with a past due date; the
overdue list pages; officers are reminded by mail before the due date and when overdue, each kind
once per officer and round."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.factories.followup import reporting_round

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.followup import reminders
from mamoru.followup import rounds as rsvc
from mamoru.followup.models import RoundEntry, RoundReminder
from mamoru.mail import MemoryMailer
from mamoru.plan.models import Plan

from .conftest import SMALL_PLAN

MEETING = {"held_on": "2025-03-01", "title_ja": "第17回 連絡会議", "bodies": ["dg-liaison-meeting"]}
RW = ["plan:read", "plan:write"]


@pytest.fixture
def office(make_user: Any, api_token: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(make_user(roles.COORDINATOR), RW)}"}


def _meeting(client: Any, office: dict[str, str]) -> int:
    r = client.post("/api/v1/followup/meetings", json=MEETING, headers=office)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_api_refuses_empty_decisions_and_action_items_in_the_callers_language(client: Any, ref: Session,
                                                                              office: dict[str, str]) -> None:
    mid = _meeting(client, office)
    url = f"/api/v1/followup/meetings/{mid}"
    empty = client.post(f"{url}/decisions?lang=ja", json={"kind": "other", "text_ja": "  "}, headers=office)
    assert empty.status_code == 422
    [p] = empty.json()["problems"]
    assert p["field"] == "text" and p["reason"] == "write what was decided (Japanese or English)"
    assert p["text"] == "本文: 決定の内容を（日本語または英語で）入力してください"
    en = client.post(f"{url}/actions?lang=en", json={}, headers=office).json()
    assert [x["field"] for x in en["problems"]] == ["text", "owner"]
    assert "Owner agency: name an owner agency or a due date" in en["message"]
    ja = client.post(f"{url}/actions?lang=ja", json={"text_ja": "調査する"}, headers=office)
    assert ja.status_code == 422 and ja.json()["message"] == "担当府省庁: 担当府省庁または期限を指定してください"
    assert client.post(f"{url}/actions", json={"text_ja": "調査する", "due_on": "2030-03-31"},
                       headers=office).status_code == 201
    assert client.post(f"{url}/actions", json={"text_en": "Survey", "owner": "NPA"}, headers=office).status_code == 201
    assert client.post(f"{url}/decisions", json={"kind": "other", "text_en": "Noted."}, headers=office).status_code == 201
    got = client.get(url, headers=office).json()
    assert len(got["decisions"]) == 1 and len(got["actions"]) == 2  # nothing of the refused ones was kept


def test_api_withdraws_a_decision_and_an_action_item_with_a_reason(client: Any, ref: Session, office: dict[str, str],
                                                                   make_user: Any, api_token: Any) -> None:
    officer = {"Authorization": f"Bearer {api_token(make_user(roles.AGENCY_OFFICER, agency='NPA'), RW)}"}
    mid = _meeting(client, office)
    url = f"/api/v1/followup/meetings/{mid}"
    did = client.post(f"{url}/decisions", json={"kind": "other", "text_ja": "誤って記録"}, headers=office).json()["id"]
    aid = client.post(f"{url}/actions", json={"text_ja": "誤り", "owner": "NPA", "due_on": "2020-01-31"},
                      headers=office).json()["id"]
    assert client.post(f"{url}/decisions/{did}/withdraw", json={"reason": "x"}, headers=officer).status_code == 403
    no_reason = client.post(f"{url}/decisions/{did}/withdraw?lang=ja", json={"reason": " "}, headers=office)
    assert no_reason.status_code == 422 and no_reason.json()["problems"][0]["text"] == "理由: 取下げの理由を入力してください"
    m = client.post(f"{url}/decisions/{did}/withdraw", json={"reason": "別の会議の決定"}, headers=office).json()
    assert m["decisions"][0]["withdrawn_at"] is not None and m["decisions"][0]["text_ja"] == "誤って記録"  # kept
    again = client.post(f"{url}/decisions/{did}/withdraw?lang=ja", json={"reason": "再"}, headers=office)
    assert again.status_code == 409 and again.json()["message"] == f"決定 {did} はすでに取り下げられています"
    assert client.patch(f"{url}/decisions/{did}", json={"reason": "r", "text_ja": "y"}, headers=office).status_code == 409
    assert [a["id"] for a in client.get("/api/v1/followup/actions?overdue=true", headers=office).json()] == [aid]
    m = client.post(f"{url}/actions/{aid}/withdraw", json={"reason": "重複"}, headers=office).json()
    assert m["actions"][0]["withdrawn_at"] is not None and m["actions"][0]["overdue"] is False
    assert client.get("/api/v1/followup/actions?overdue=true", headers=office).json() == []  # off the lists
    assert client.patch(f"/api/v1/followup/actions/{aid}", json={"done": True}, headers=officer).status_code == 409
    assert client.post(f"{url}/actions/999999/withdraw", json={"reason": "r"}, headers=office).status_code == 404
    log = [(c["decision_id"], c["action_id"], c["reason"], c["changes"]) for c in m["corrections"]]
    assert log == [(did, None, "別の会議の決定", {"withdrawn": [False, True]}),
                   (None, aid, "重複", {"withdrawn": [False, True]})]
    tags = list(ref.scalars(select(AuditEvent.action).where(AuditEvent.action.like("followup:%:withdraw"))
                            .order_by(AuditEvent.seq)))
    assert tags == ["followup:decision:withdraw", "followup:action:withdraw"]


def test_meeting_page_refuses_in_japanese_keeps_the_input_and_withdraws(client: Any, ref: Session, make_user: Any,
                                                                         login_as: Any) -> None:
    csrf = login_as(make_user(roles.COORDINATOR))
    url = client.post("/followup/meetings", follow_redirects=False, data={
        "csrf_token": csrf, "held_on": "2025-03-02", "title_ja": "会議", "bodies": ["dg-liaison-meeting"]}
    ).headers["location"]
    refused = client.post(f"{url}/actions?lang=ja", data={"csrf_token": csrf, "text_ja": "担当なしの対応",
                                                         "measure": "t-1-01"})
    assert refused.status_code == 422 and "担当府省庁または期限を指定してください" in refused.text
    assert 'value="担当なしの対応"' in refused.text and '<option value="t-1-01" selected>' in refused.text
    refused = client.post(f"{url}/decisions?lang=ja", data={"csrf_token": csrf, "kind": "approve_round_report",
                                                           "text_ja": ""})
    assert refused.status_code == 422 and "決定の内容を（日本語または英語で）入力してください" in refused.text
    assert '<option value="approve_round_report" selected>' in refused.text
    assert client.post(f"{url}/decisions", data={"csrf_token": csrf, "kind": "other", "text_ja": "誤記録の決定"},
                       follow_redirects=False).status_code == 303
    did = re.search(r'id="decision-(\d+)"', client.get(url).text).group(1)  # type: ignore[union-attr]
    blank = client.post(f"{url}/decisions/{did}/withdraw?lang=ja", data={"csrf_token": csrf, "reason": ""})
    assert blank.status_code == 422 and "取下げの理由を入力してください" in blank.text
    assert client.post(f"{url}/decisions/{did}/withdraw", data={"csrf_token": csrf, "reason": "議事録にない"},
                       follow_redirects=False).status_code == 303
    page = client.get(f"{url}?lang=ja").text
    item = page[page.index(f'id="decision-{did}"'):].split("</li>")[0]
    assert "fu-withdrawn" in item and "<del>" in item and "取下げ" in item and "この決定を取り下げる" not in item
    history = page[page.index('id="corrections-table"'):]
    assert "議事録にない" in history and f"決定事項 #{did}" in history and "有効" in history
    assert "Withdrawn from the record" in client.get(f"{url}?lang=en").text


def test_cli_records_refuses_and_withdraws(cli: Any) -> None:
    assert cli("plan", "load", "--file", str(SMALL_PLAN)).exit_code == 0
    assert cli("indicator", "load").exit_code == 0
    assert cli("user", "add", "office", "--role", "coordinator").exit_code == 0
    from mamoru.db import Database
    from mamoru.followup.meetings import record_meeting

    db = Database.from_url(cli.env["MAMORU_DATABASE_URL"])
    with db.session() as s:
        mid = str(record_meeting(s, None, date(2025, 3, 1), "", "会議", ["dg-liaison-meeting"]).id)
    empty = cli("meeting", "decision", mid, "--as", "office")
    assert empty.exit_code == 2 and "text: write what was decided (Japanese or English)" in empty.output
    bare = cli("meeting", "action", mid, "--text-ja", "調査", "--as", "office")
    assert bare.exit_code == 2 and "owner: name an owner agency or a due date" in bare.output
    did = cli("meeting", "decision", mid, "--text-ja", "了承", "--as", "office").stdout.strip()
    aid = cli("meeting", "action", mid, "--text-ja", "調査", "--owner", "NPA", "--as", "office").stdout.strip()
    assert cli("meeting", "withdraw", mid, "--reason", "r").exit_code == 2  # neither named
    assert cli("meeting", "withdraw", mid, "--decision", did, "--reason", " ").exit_code == 2
    ok = cli("meeting", "withdraw", mid, "--decision", did, "--reason", "誤り", "--as", "office")
    assert ok.exit_code == 0 and f"decision {did} withdrawn" in ok.output
    assert cli("meeting", "withdraw", mid, "--decision", did, "--reason", "誤り").exit_code == 1  # already
    assert cli("meeting", "withdraw", mid, "--action", aid, "--reason", "重複").exit_code == 0
    assert aid not in [line.split("\t")[0] for line in cli("meeting", "actions").stdout.splitlines()]  # off the list


def test_a_round_is_not_opened_on_an_empty_plan_or_with_a_past_due_date(client: Any, fu: Session,
                                                                        office: dict[str, str]) -> None:
    fu.add(Plan(key="bp-empty", title_en="Empty plan", title_ja="空の計画", status="decided"))
    fu.commit()
    url = "/api/v1/followup/rounds"
    past = (date.today() - timedelta(days=1)).isoformat()
    r = client.post(f"{url}?lang=ja", json={"fiscal_years": [2030], "due_on": past}, headers=office)
    assert r.status_code == 422 and r.json()["problems"][0]["text"] == f"期限: 期限 {past} はすでに過ぎています"
    r = client.post(f"{url}?lang=en", json={"fiscal_years": [2030], "due_on": "2031-07-31", "plan": "bp-empty"},
                    headers=office)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "plan"
    assert "Plan: the plan bp-empty has no measures yet" in r.json()["message"]
    assert client.get("/api/v1/followup/rounds", headers=office).json() == []  # nothing opened


def test_round_page_refuses_in_japanese_with_the_input_kept(client: Any, fu: Session, make_user: Any,
                                                            login_as: Any) -> None:
    fu.add(Plan(key="bp-empty", title_en="Empty plan", title_ja="空の計画", status="decided"))
    fu.commit()
    csrf = login_as(make_user(roles.COORDINATOR))
    r = client.post("/followup/rounds?lang=ja", data={"csrf_token": csrf, "fy": "2030", "due": "2031-07-31",
                                                      "plan": "bp-empty"})
    assert r.status_code == 422 and "計画 bp-empty にはまだ施策がありません" in r.text
    assert '<option value="bp-empty" selected>' in r.text and 'value="2031-07-31"' in r.text and 'value="2030"' in r.text
    r = client.post("/followup/rounds?lang=ja", data={"csrf_token": csrf, "fy": "2030", "due": "2020-07-31"})
    assert r.status_code == 422 and "期限 2020-07-31 はすでに過ぎています" in r.text


def test_due_date_extended_with_a_reason_through_the_api_and_the_page(client: Any, fu: Session, office: dict[str, str],
                                                                      make_user: Any, login_as: Any) -> None:
    r = reporting_round(fu, due=date.today() + timedelta(days=10), today=date.today())
    url = f"/api/v1/followup/rounds/{r.id}/extend"
    later = (date.today() + timedelta(days=40)).isoformat()
    assert client.post(url, json={"due_on": later, "reason": ""}, headers=office).json()["problems"][0]["field"] == "reason"
    earlier = client.post(f"{url}?lang=ja", json={"due_on": date.today().isoformat(), "reason": "r"}, headers=office)
    assert earlier.status_code == 422 and "新しい期限は現在の期限" in earlier.json()["message"]
    out = client.post(url, json={"due_on": later, "reason": "国会対応のため"}, headers=office).json()
    assert out["due_on"] == later and out["extensions"][0]["reason"] == "国会対応のため"
    fu.expire_all()
    assert {e.due_on.isoformat() for e in fu.scalars(select(RoundEntry).where(RoundEntry.round_id == r.id))} == {later}
    csrf = login_as(make_user(roles.COORDINATOR))
    page = f"/followup/rounds/{r.id}"
    bad = client.post(f"{page}/extend?lang=ja", data={"csrf_token": csrf, "due": later, "reason": "再延長"})
    assert bad.status_code == 422 and "新しい期限は現在の期限" in bad.text and 'value="再延長"' in bad.text
    even_later = (date.today() + timedelta(days=60)).isoformat()
    assert client.post(f"{page}/extend", data={"csrf_token": csrf, "due": even_later, "reason": "再延長"},
                       follow_redirects=False).status_code == 303
    shown = client.get(f"{page}?lang=ja").text
    table = shown[shown.index('id="extensions-table"'):].split("</table>")[0]
    assert table.count("<tr>") == 3 and "国会対応のため" in table and "再延長" in table and "JST" in table


def test_overdue_list_pages_on_the_dashboard_and_the_api(client: Any, fu: Session, office: dict[str, str],
                                                         make_user: Any, login_as: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    r = reporting_round(fu, due=date(2024, 7, 31), today=date(2024, 6, 1))  # every entry overdue today
    total = len(r.entries)
    first = client.get(f"/api/v1/followup/rounds/{r.id}/overdue?per_page=4", headers=office).json()
    assert first["total"] == total and first["pages"] == -(-total // 4) and len(first["entries"]) == 4
    last = client.get(f"/api/v1/followup/rounds/{r.id}/overdue?per_page=4&page={first['pages']}", headers=office).json()
    seen = {e["id"] for p in range(1, first["pages"] + 1) for e in client.get(
        f"/api/v1/followup/rounds/{r.id}/overdue?per_page=4&page={p}", headers=office).json()["entries"]}
    assert len(last["entries"]) == total - 4 * (first["pages"] - 1) and len(seen) == total  # each once
    monkeypatch.setattr(rsvc, "OVERDUE_PAGE", 4)
    login_as(make_user(roles.COORDINATOR))
    one = client.get(f"/followup/rounds/{r.id}?lang=en").text
    assert f"{total} entries overdue" in one and one.count("— due ") == 4 and 'rel="next"' in one
    two = client.get(f"/followup/rounds/{r.id}?page=2&lang=ja").text
    assert "2ページ目" in two and 'rel="prev"' in two


def _officer(make_user: Any, session: Session, agency: str, email: str, lang: str = "ja") -> Any:
    return make_user(roles.AGENCY_OFFICER, agency=agency, email=email, lang=lang)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_reminders_before_the_due_date_and_when_overdue_once_each(fu: Session, make_user: Any, lang: str) -> None:
    """Each officer's mail in their own language: NPA's officer prefers `lang`, MIC's the other one."""
    due = date(2024, 7, 31)
    r = reporting_round(fu, due=due, today=date(2024, 6, 1))
    other = "en" if lang == "ja" else "ja"
    _officer(make_user, fu, "NPA", "npa@example.go.jp", lang)
    _officer(make_user, fu, "MIC", "mic@example.go.jp", other)
    mail = MemoryMailer()
    noon = datetime(2024, 7, 20, 3, 0, tzinfo=UTC)  # 12:00 JST
    assert reminders.send_reminders(fu, mail, 7, today=date(2024, 7, 20), now=noon).sent["before_due"] == 0
    week = reminders.send_reminders(fu, mail, 7, today=date(2024, 7, 24), now=noon + timedelta(days=4))
    assert week.sent == {"before_due": 2, "overdue": 0}
    to_npa = next(m for m in mail.sent if m.to == "npa@example.go.jp")
    to_mic = next(m for m in mail.sent if m.to == "mic@example.go.jp")
    ja, en = (to_npa, to_mic) if lang == "ja" else (to_mic, to_npa)
    assert ja.subject == "【mamoru】令和5年度：提出期限は2024年7月31日です"
    assert "貴府省庁（" in ja.body and "には未提出の報告が" in ja.body and "2024-07-24 12:00 JST" in ja.body
    assert en.subject == "[mamoru] FY2023: due on July 31, 2024" and "2024-07-24 12:00 JST" in en.body
    assert "Your agency (" in en.body and "提出" not in en.body
    # later passes, as a restarted worker would run them: nothing twice
    fu.expire_all()
    assert reminders.send_reminders(fu, mail, 7, today=date(2024, 7, 30)).sent == {"before_due": 0, "overdue": 0}
    for e in fu.scalars(select(RoundEntry).where(RoundEntry.round_id == r.id, RoundEntry.agency_id == npa_agency(fu))):
        e.state = "submitted"  # NPA has nothing left to submit
    fu.commit()
    late = reminders.send_reminders(fu, mail, 7, today=date(2024, 8, 1))
    assert late.sent == {"before_due": 0, "overdue": 1} and mail.sent[-1].to == "mic@example.go.jp"
    overdue = mail.sent[-1].subject  # in MIC's officer's language, the other one
    assert overdue == ("[mamoru] FY2023: the due date (July 31, 2024) has passed" if other == "en"
                       else "【mamoru】令和5年度：提出期限（2024年7月31日）を過ぎました")
    assert reminders.send_reminders(fu, mail, 7, today=date(2024, 8, 9)).sent["overdue"] == 0
    assert len(mail.sent) == 3
    kept = sorted((x.username.split("-")[0], x.kind) for x in fu.scalars(select(RoundReminder)))
    assert kept == [("agency_officer", "before_due"), ("agency_officer", "before_due"), ("agency_officer", "overdue")]


def npa_agency(session: Session) -> int:
    from mamoru.plan.models import Agency

    found = session.scalar(select(Agency.id).where(Agency.code == "NPA"))
    assert found is not None
    return found


def test_a_failed_reminder_is_tried_again_and_the_worker_runs_the_job(fu: Session, make_user: Any, tmp_path: Any,
                                                                      database: Any) -> None:
    class Down(MemoryMailer):
        def send(self, mail: Any) -> str:
            raise OSError("connection refused")

    reporting_round(fu, due=date.today() + timedelta(days=3), today=date.today())
    _officer(make_user, fu, "NPA", "npa@example.go.jp")
    failed = reminders.send_reminders(fu, Down(), 7)
    assert failed.failed == 1 and fu.scalars(select(RoundReminder)).first() is None  # no record: tried again
    from tests.settings_support import make_settings

    from mamoru.cli import work

    settings = make_settings(tmp_path, {"MAMORU_MAIL_BACKEND": "outbox", "MAMORU_FOLLOWUP_REMINDER_DAYS": "5"})
    assert "followup-reminders" in [j.name for j in work.jobs_for(make_settings(tmp_path, role="office"), database)]
    job = work._followup_job(settings, database)
    assert job.run() == "reminders sent: 1 before the due date, 0 overdue"
    assert job.run() == "reminders sent: 0 before the due date, 0 overdue"  # once
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
