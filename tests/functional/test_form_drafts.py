"""A staff form never loses what was typed (web.drafts, web.refill): a refused form comes back
filled; a form sent after the session ended is kept, and after the login the page of the form
comes back filled; a field too long is a message in the page, in the user's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from tests.conftest import TEST_PASSWORD
from tests.factories import hotline as hotline_factory

from mamoru.auth import roles as R
from mamoru.auth.models import FormDraft, WebSession
from mamoru.web.drafts import DRAFT_COOKIE


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def field_value(page: str, name: str) -> str | None:
    """The value a page's input or text area named `name` shows (the first one)."""
    m = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or \
        re.search(rf'<textarea[^>]*name="{name}"[^>]*>([^<]*)</textarea>', page)
    return m.group(1) if m else None


def sign_in(client: TestClient, username: str, next_: str = "/") -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": TEST_PASSWORD, "next": next_,
                                       "csrf_token": csrf(page.text)}, follow_redirects=False)


# (role, page of the form, path it posts to, what is typed, the field whose text must come back)
REFUSED_FORMS = [
    pytest.param(R.COORDINATOR, "/plans/basic-plan-2017/pillars/1", "/plans/basic-plan-2017/pillars/1/edit",
                 {"title_en": "", "title_ja": "柱の題名-typed", "reason": "理由-typed"}, "title_ja", id="plan-pillar"),
    pytest.param(R.COORDINATOR, "/agencies/NPA", "/agencies/NPA/profile",
                 {"focal_point": "窓口-typed", "contact_email": "not an address"}, "focal_point", id="plan-profile"),
    pytest.param(R.COORDINATOR, "/measures/{measure}", "/measures/{measure}/amend",
                 {"title_en": "Amended title typed", "code": "", "reason": "", "amended_on": "not a date"},
                 "title_en", id="plan-amend"),
    pytest.param(R.SENIOR_ANALYST, "/blocklist/propose", "/blocklist/propose",
                 {"kind": "domain", "value": "drafts.example.test", "reason": "根拠-typed", "criteria": "confirmed"},
                 "reason", id="blocklist-propose"),
    pytest.param(R.SENIOR_ANALYST, "/blocklist/appeals", "/blocklist/appeals",
                 {"entry_id": "x", "appellant": "申立人-typed", "grounds": "理由-typed"}, "grounds", id="blocklist-appeal"),
    pytest.param(R.SENIOR_ANALYST, "/matching", "/matching/entries",
                 {"entry_id": "abc", "action": "disable", "reason": "無効化の理由-typed"}, "reason", id="matching-entry"),
    pytest.param(R.ANALYST, "/hotline/providers", "/hotline/providers",
                 {"name": "事業者-typed", "abuse_email": "not an address", "country": "JP"}, "name", id="hotline-provider"),
    pytest.param(R.SENIOR_ANALYST, "/hotline/labels", "/hotline/labels",
                 {"kind": "severity", "code": "x", "title_en": "Label typed", "position": "many"}, "title_en",
                 id="hotline-label"),
    pytest.param(R.ANALYST, "/hotline/cases/{case}", "/hotline/cases/{case}/assess",
                 {"verdict": "no-such-verdict", "note": "判断のメモ-typed"}, "note", id="hotline-assess"),
]


@pytest.mark.parametrize(("role", "page", "action", "typed", "field"), REFUSED_FORMS)
def test_a_refused_form_comes_back_with_what_was_typed(client: TestClient, loaded: Any, make_user: Any,
                                                       role: str, page: str, action: str, typed: dict[str, str],
                                                       field: str) -> None:
    from mamoru.plan.models import Measure

    ids = {"measure": loaded.scalars(select(Measure.uid).order_by(Measure.id)).first(),
           "case": str(hotline_factory.report(loaded, "http://drafts.example.test/a").case_id)}
    page, action = page.format(**ids), action.format(**ids)
    user = make_user(role)
    assert sign_in(client, user.username).status_code == 303
    token = csrf(client.get(page).text)
    r = client.post(action, data={**typed, "csrf_token": token}, headers={"referer": f"http://testserver{page}"})
    # refused by the service: the page at once (4xx); a field that does not parse (a required one
    # left empty): kept and back to the page of the form (303, then 200)
    assert r.status_code in (403, 404, 409, 422) or [h.status_code for h in r.history] == [303], r.text[:500]
    assert field_value(r.text, field) == typed[field], r.text
    assert f'value="{token}"' in r.text  # the fresh token, not anything sent
    if "criteria" in typed:
        assert re.search(rf'value="{typed["criteria"]}" checked', r.text)


def test_a_form_sent_after_the_session_ended_comes_back_after_the_login(client: TestClient, loaded: Any,
                                                                         make_user: Any) -> None:
    coordinator = make_user(R.COORDINATOR)
    assert sign_in(client, coordinator.username).status_code == 303
    token = csrf(client.get("/followup/meetings").text)
    loaded.execute(delete(WebSession))  # the session ends while the form is being filled in
    loaded.commit()
    typed = {"held_on": "2025-04-01", "title_ja": "第10回会議-typed", "agenda": "議題一 | Item one\n議題二 | Item two"}
    r = client.post("/followup/meetings", data={**typed, "csrf_token": token},
                    headers={"referer": "http://testserver/followup/meetings"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/followup/meetings&ended=1"
    assert client.cookies.get(DRAFT_COOKIE)
    sealed = loaded.scalars(select(FormDraft.sealed)).one()
    assert "第10回会議".encode() not in sealed and b"Item one" not in sealed  # the database cannot read it
    login_page = client.get(r.headers["location"], headers={"accept-language": "ja"})
    assert "入力した内容は保持され" in login_page.text
    back = sign_in(client, coordinator.username, "/followup/meetings")
    assert back.headers["location"] == "/followup/meetings"
    page = client.get("/followup/meetings")
    assert field_value(page.text, "title_ja") == typed["title_ja"]
    assert field_value(page.text, "agenda") == typed["agenda"]
    assert field_value(page.text, "held_on") == typed["held_on"]
    assert "check it and send the form again" in page.text or "もう一度送信してください" in page.text
    assert csrf(page.text) != token  # sending it needs the new session's token: the user presses the button again
    assert not client.cookies.get(DRAFT_COOKIE)
    assert loaded.scalars(select(FormDraft)).all() == []  # shown once
    assert field_value(client.get("/followup/meetings").text, "title_ja") == ""
    assert "第10回会議" not in client.get("/followup/meetings").text  # nothing saved without the user's say


def test_a_draft_is_shown_to_nobody_else(session: Any, make_user: Any) -> None:
    from mamoru.auth import drafts

    one, other = make_user(R.COORDINATOR), make_user(R.COORDINATOR)
    key = drafts.keep(session, drafts.Draft(page="/x", action="/x", values={"a": ["b"]}), user_id=one.id)
    assert drafts.take(session, key, other.id, "/x") is None  # another user
    assert drafts.take(session, key, one.id, "/y") is None  # another page
    assert drafts.take(session, key + "x", one.id, "/x") is None  # another key
    assert drafts.take(session, key, one.id, "/x") == drafts.Draft(page="/x", action="/x", values={"a": ["b"]})
    assert drafts.take(session, key, one.id, "/x") is None  # taken once


def test_a_field_over_its_length_is_a_message_in_the_page_with_the_input_kept(client: TestClient, session: Any,
                                                                              make_user: Any) -> None:
    admin = make_user(R.ADMINISTRATOR)
    sign_in(client, admin.username)
    client.cookies.set("mamoru_lang", "ja")
    token = csrf(client.get("/admin/users").text)
    r = client.post("/admin/users", data={"username": "x" * 65, "role": R.AUDITOR, "display_name": "表示名-typed",
                                          "password": TEST_PASSWORD, "csrf_token": token},
                    headers={"referer": "http://testserver/admin/users"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    page = client.get("/admin/users")
    assert "username：64 文字以内で入力してください" in page.text
    assert field_value(page.text, "username") == "x" * 65
    assert field_value(page.text, "display_name") == "表示名-typed"
    assert 'name="password" type="password" required minlength="10" autocomplete="new-password">' in page.text
    assert TEST_PASSWORD not in page.text  # never a password


def test_a_body_over_the_limit_is_a_page_in_the_users_language(client: TestClient, make_user: Any) -> None:
    from mamoru.web.limits import MAX_REQUEST_BYTES

    coordinator = make_user(R.COORDINATOR)
    sign_in(client, coordinator.username)
    token = csrf(client.get("/followup/meetings").text)
    r = client.post("/followup/meetings", data={"held_on": "2025-04-01", "agenda": "あ" * (MAX_REQUEST_BYTES // 3 + 10),
                                                "csrf_token": token}, headers={"accept-language": "ja"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "上限の 8 MB を超えている" in r.text
    client.cookies.set("mamoru_lang", "en")
    r = client.post("/followup/meetings", data={"agenda": "a" * (MAX_REQUEST_BYTES + 10), "csrf_token": token})
    assert r.status_code == 413 and "over the limit of 8 MB" in r.text
    api = client.post("/api/v1/plans", content=b"{" + b" " * MAX_REQUEST_BYTES + b"}",
                      headers={"content-type": "application/json"})
    assert api.status_code == 413 and api.json()["detail"].startswith("the request body is over the limit")
