"""Each account's language (users.preferred_lang, ja or en): the user sets it on their account page,
an administrator on the account's pages, the API and the command line; the mails sent to the
account are written in it (tests/functional/followup/test_reminders.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import TEST_PASSWORD
from tests.functional.test_form_drafts import csrf, sign_in

from mamoru import audit
from mamoru.auth import roles as R
from mamoru.auth.models import User


def lang_of(session: Any, username: str) -> str:
    session.expire_all()
    return str(session.scalars(select(User.preferred_lang).where(User.username == username)).one())


def test_a_user_chooses_their_language_on_the_account_page(client: TestClient, session: Any, make_user: Any) -> None:
    officer = make_user(R.AGENCY_OFFICER, agency="NPA")
    assert officer.preferred_lang == "ja"  # the default
    sign_in(client, officer.username)
    page = client.get("/account?lang=en")
    assert '<option value="ja" selected>日本語</option><option value="en">English</option>' in page.text
    assert "Mails from mamoru to you (the follow-up&#39;s reminders) are written in: 日本語" in page.text
    token = csrf(page.text)
    assert client.post("/account/lang", data={"lang": "en"}).status_code == 403  # no CSRF token
    assert lang_of(session, officer.username) == "ja"
    r = client.post("/account/lang", data={"lang": "fr", "csrf_token": token})
    assert r.status_code == 422 and "The language is ja (日本語) or en (English)." in r.text
    assert lang_of(session, officer.username) == "ja"
    r = client.post("/account/lang", data={"lang": "en", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account?done=lang#lang"
    assert lang_of(session, officer.username) == "en"
    page = client.get("/account?done=lang")
    assert 'id="lang-saved"' in page.text and '<option value="en" selected>English</option>' in page.text
    ja = client.get("/account?lang=ja").text
    assert "あなたへのメール（フォローアップの督促）の言語: English" in ja
    r = client.post("/account/lang?lang=ja", data={"lang": "xx", "csrf_token": token})
    assert r.status_code == 422 and "言語は ja（日本語）または en（English）です。" in r.text
    session.expire_all()
    (event,) = [e for e in session.scalars(select(audit.AuditEvent).where(
        audit.AuditEvent.target == f"user:{officer.username}", audit.AuditEvent.action == "user:edit"))]
    assert (event.actor, json.loads(event.detail)) == (officer.username, {"changes": {"preferred_lang": ["ja", "en"]}})


def test_an_administrator_sets_the_language_on_create_and_edit(client: TestClient, session: Any,
                                                               make_user: Any) -> None:
    admin = make_user(R.ADMINISTRATOR)
    sign_in(client, admin.username)
    page = client.get("/admin/users")
    assert '<select name="preferred_lang"><option value="ja">日本語</option><option value="en">English</option>' in page.text
    token = csrf(page.text)
    r = client.post("/admin/users", data={"username": "smith", "role": R.AUDITOR, "password": TEST_PASSWORD,
                                          "preferred_lang": "en", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert lang_of(session, "smith") == "en"
    r = client.post("/admin/users", data={"username": "jones", "role": R.AUDITOR, "password": TEST_PASSWORD,
                                          "preferred_lang": "de", "csrf_token": token})
    assert r.status_code == 422 and session.scalars(select(User).where(User.username == "jones")).first() is None
    page = client.get("/admin/users/smith?lang=en")
    assert re.search(r'<dd id="account-lang">English</dd>', page.text)
    assert '<option value="en" selected>English</option>' in page.text
    r = client.post("/admin/users/smith/edit", data={"role": R.AUDITOR, "preferred_lang": "ja", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and lang_of(session, "smith") == "ja"
    page = client.get("/admin/users/smith?lang=en")
    assert '<dd id="account-lang">日本語</dd>' in page.text and "Language: English → 日本語" in page.text  # the audit trail
    r = client.post("/admin/users/smith/edit", data={"role": R.AUDITOR, "preferred_lang": "zz", "csrf_token": token})
    assert r.status_code == 422 and lang_of(session, "smith") == "ja"


def test_the_api_creates_changes_and_shows_the_language(client: TestClient, session: Any, make_user: Any,
                                                        api_token: Any) -> None:
    admin = make_user(R.ADMINISTRATOR)
    writer = {"authorization": f"Bearer {api_token(admin, ['users:write', 'users:read'])}"}
    r = client.post("/api/v1/users", json={"username": "brown", "role": R.AUDITOR, "password": TEST_PASSWORD,
                                           "preferred_lang": "en"}, headers=writer)
    assert r.status_code == 201, r.text
    assert r.json()["preferred_lang"] == "en" and lang_of(session, "brown") == "en"
    r = client.post("/api/v1/users", json={"username": "green", "role": R.AUDITOR, "password": TEST_PASSWORD},
                    headers=writer)
    assert r.status_code == 201 and r.json()["preferred_lang"] == "ja"
    assert client.post("/api/v1/users", json={"username": "grey", "role": R.AUDITOR, "password": TEST_PASSWORD,
                                              "preferred_lang": "fr"}, headers=writer).status_code == 422
    assert client.patch("/api/v1/users/brown", json={"preferred_lang": "english"}, headers=writer).status_code == 422
    assert lang_of(session, "brown") == "en"
    r = client.patch("/api/v1/users/brown", json={"preferred_lang": "ja"}, headers=writer)
    assert r.status_code == 200 and r.json()["preferred_lang"] == "ja" and lang_of(session, "brown") == "ja"
    listed = {u["username"]: u["preferred_lang"] for u in client.get("/api/v1/users", headers=writer).json()}
    assert (listed["brown"], listed["green"]) == ("ja", "ja")


@pytest.mark.usefixtures("cli")
def test_the_command_line_sets_and_lists_the_language(cli: Any) -> None:
    r = cli("user", "add", "kato", "--role", "auditor", "--lang", "en")
    assert r.exit_code == 0, r.output
    r = cli("user", "add", "ito", "--role", "auditor", "--lang", "fr")
    assert r.exit_code == 2 and "The language is ja (日本語) or en (English)." in r.output
    out = cli("user", "list").output.splitlines()
    assert out[0] == "username,role,agency,active,created_by,lang"
    assert "kato,auditor,,true,,en" in out and not [line for line in out if line.startswith("ito,")]
    r = cli("user", "edit", "kato", "--lang", "ja")
    assert r.exit_code == 0 and "preferred_lang 'en' -> 'ja'" in r.output
    r = cli("user", "edit", "kato", "--lang", "EN")
    assert r.exit_code == 2 and "The language is ja" in r.output
    assert "kato,auditor,,true,,ja" in cli("user", "list").output.splitlines()
