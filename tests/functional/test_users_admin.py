"""Journey 6: an administrator creates a user (no role chosen in advance, an e-mail), changes it,
deactivates and reactivates it, and reads its audit trail; only an administrator may; the API
(PATCH /api/v1/users/{username}) and the command line (`mamoru user edit/activate`) do the same."""

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
from mamoru.auth.models import User, WebSession


def events(session: Any, username: str) -> list[tuple[str, str, dict[str, Any]]]:
    session.expire_all()
    rows = session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.target == f"user:{username}")
                           .order_by(audit.AuditEvent.seq))
    return [(e.actor, e.action, json.loads(e.detail)) for e in rows]


def test_the_administrators_journey(client: TestClient, loaded: Any, make_user: Any) -> None:
    admin = make_user(R.ADMINISTRATOR)
    sign_in(client, admin.username)
    page = client.get("/admin/users")
    assert '<select name="role" required><option value="" selected>' in page.text  # no role preselected
    token = csrf(page.text)
    r = client.post("/admin/users", data={"username": "tanaka", "role": "", "password": TEST_PASSWORD,
                                          "email": "tanaka@example.jp", "csrf_token": token})
    assert r.status_code == 422 and ("Choose a role." in r.text or "役割を選んでください。" in r.text)
    for bad in ("two@example.jp, three@example.jp", "Tanaka <tanaka@example.jp>", "tanaka@example.jp\x07", "tanaka"):
        r = client.post("/admin/users", data={"username": "tanaka", "role": R.AUDITOR, "password": TEST_PASSWORD,
                                              "email": bad, "csrf_token": token})
        assert r.status_code == 422, bad
    r = client.post("/admin/users", data={"username": "tanaka", "role": R.AUDITOR, "password": TEST_PASSWORD,
                                          "display_name": "田中", "email": "tanaka@example.jp", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    tanaka = loaded.scalars(select(User).where(User.username == "tanaka")).one()
    assert (tanaka.role, tanaka.email, tanaka.display_name) == (R.AUDITOR, "tanaka@example.jp", "田中")

    r = client.post("/admin/users/tanaka/edit", data={"role": R.AGENCY_OFFICER, "agency": "NPA",
                                                      "display_name": "田中 一郎", "email": "ichiro@example.jp",
                                                      "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/users/tanaka?done=edited"
    r = client.post("/admin/users/tanaka/edit", data={"role": R.AGENCY_OFFICER, "agency": "NPA",
                                                      "email": "not an address", "csrf_token": token})
    assert r.status_code == 422 and 'value="not an address"' in r.text  # refused, and what was typed is kept

    # their session and token, which the deactivation ends
    other = TestClient(client.app)
    sign_in(other, "tanaka")
    assert other.get("/account").status_code == 200
    from mamoru.auth.service import issue_token
    secret = issue_token(loaded, loaded.get(User, tanaka.id), "t", ["plan:read"])
    loaded.commit()
    assert other.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"}).status_code == 200

    r = client.post("/admin/users/tanaka/deactivate", data={"csrf_token": token})
    assert r.status_code == 422  # not confirmed: nothing happens
    r = client.post("/admin/users/tanaka/deactivate", data={"csrf_token": token, "confirm": "yes"},
                    follow_redirects=False)
    assert r.status_code == 303
    loaded.expire_all()
    assert loaded.scalars(select(WebSession).where(WebSession.user_id == tanaka.id)).all() == []
    assert other.get("/account", follow_redirects=False).status_code == 303  # to the login page
    assert other.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"}).status_code == 401
    assert sign_in(other, "tanaka").status_code == 401

    r = client.post("/admin/users/tanaka/activate", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert other.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"}).status_code == 200

    trail = events(loaded, "tanaka")
    assert [a for _, a, _ in trail if a.startswith("user:") and a != "user:login"] == [
        "user:create", "user:edit", "user:deactivate", "user:activate"]
    assert all(actor == admin.username for actor, a, _ in trail if a.startswith("user:") and a != "user:login")
    assert trail[0][2]["email"] == "tanaka@example.jp"
    edit = next(d for _, a, d in trail if a == "user:edit")["changes"]
    assert edit == {"role": [R.AUDITOR, R.AGENCY_OFFICER], "agency_code": [None, "NPA"],
                    "display_name": ["田中", "田中 一郎"], "email": ["tanaka@example.jp", "ichiro@example.jp"]}
    page = client.get("/admin/users/tanaka")
    assert page.status_code == 200
    history = page.text.split('id="history"')[1]
    assert history.index("user:activate") < history.index("user:deactivate") < history.index("user:create")


def test_an_administrator_keeps_their_own_role_and_account(client: TestClient, make_user: Any) -> None:
    admin = make_user(R.ADMINISTRATOR)
    sign_in(client, admin.username)
    token = csrf(client.get("/admin/users").text)
    r = client.post(f"/admin/users/{admin.username}/deactivate", data={"csrf_token": token, "confirm": "yes"})
    assert r.status_code == 403
    r = client.post(f"/admin/users/{admin.username}/edit", data={"role": R.AUDITOR, "csrf_token": token})
    assert r.status_code == 403


@pytest.mark.parametrize("role", [r for r in R.ALL_ROLES if r != R.ADMINISTRATOR])
def test_only_an_administrator_changes_an_account(client: TestClient, session: Any, make_user: Any, role: str) -> None:
    target = make_user(R.AUDITOR)
    actor = make_user(role, agency="NPA" if role == R.AGENCY_OFFICER else None)
    sign_in(client, actor.username)
    token = csrf(client.get("/account").text)
    for path, data in ((f"/admin/users/{target.username}/edit", {"role": R.ADMINISTRATOR}),
                       (f"/admin/users/{target.username}/deactivate", {"confirm": "yes"})):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert client.get(f"/admin/users/{target.username}").status_code == 403
    session.expire_all()
    assert (session.get(User, target.id).role, session.get(User, target.id).active) == (R.AUDITOR, True)


def test_the_api_changes_and_deactivates_with_users_write(client: TestClient, session: Any, make_user: Any,
                                                         api_token: Any) -> None:
    admin = make_user(R.ADMINISTRATOR)
    target = make_user(R.AUDITOR)
    writer = {"authorization": f"Bearer {api_token(admin, ['users:write'])}"}
    reader = {"authorization": f"Bearer {api_token(admin, ['users:read'])}"}
    analyst = {"authorization": f"Bearer {api_token(make_user(R.ANALYST), ['hotline:read'])}"}
    url = f"/api/v1/users/{target.username}"
    assert client.patch(url, json={"email": "a@example.jp"}, headers=reader).status_code == 403
    assert client.patch(url, json={"email": "a@example.jp"}, headers=analyst).status_code == 403
    assert client.patch(url, json={"email": "a@example.jp"}).status_code == 401
    assert client.patch(url, json={"password": "x"}, headers=writer).status_code == 422
    assert client.patch(url, json={"email": "a@b"}, headers=writer).status_code == 422
    assert client.patch("/api/v1/users/nobody", json={"email": "a@example.jp"}, headers=writer).status_code == 404
    r = client.patch(url, json={"email": "a@example.jp", "display_name": "A", "role": R.COORDINATOR}, headers=writer)
    assert r.status_code == 200, r.text
    assert (r.json()["email"], r.json()["display_name"], r.json()["role"]) == ("a@example.jp", "A", R.COORDINATOR)
    r = client.patch(url, json={"active": False}, headers=writer)
    assert r.status_code == 200 and r.json()["active"] is False
    actions = [a for _, a, _ in events(session, target.username)]
    assert actions == ["user:create", "user:edit", "user:deactivate"]


def test_the_command_line_edits_deactivates_and_activates(cli: Any) -> None:
    r = cli("user", "add", "sato", "--role", "auditor")
    assert r.exit_code == 0, r.output
    r = cli("user", "edit", "sato", "--email", "sato@example.jp", "--name", "佐藤")
    assert r.exit_code == 0, r.output
    assert "email '' -> 'sato@example.jp'" in r.output
    assert cli("user", "edit", "sato", "--email", "a, b").exit_code == 2
    assert cli("user", "edit", "nobody", "--name", "x").exit_code == 2
    assert "sato deactivated" in cli("user", "deactivate", "sato").output
    assert "false" in [line for line in cli("user", "list").output.splitlines() if line.startswith("sato,")][0]
    assert "sato activated" in cli("user", "activate", "sato").output
    assert re.search(r"^sato,auditor,,true,", cli("user", "list").output, re.M)


def test_the_audit_trail_says_in_words_what_happened_in_the_pages_language(client: TestClient, loaded: Any,
                                                                           make_user: Any) -> None:
    """The account's page showed codes and JSON (user:edit, {"changes": {"role": [...]}}): now the
    action in words and each change as "field: old → new", Japanese or English, times in JST."""
    admin = make_user(R.ADMINISTRATOR)
    sign_in(client, admin.username)
    token = csrf(client.get("/admin/users").text)
    client.post("/admin/users", data={"username": "suzuki", "role": R.ANALYST, "password": TEST_PASSWORD,
                                      "email": "suzuki@example.test", "csrf_token": token})
    client.post("/admin/users/suzuki/edit", data={"role": R.SENIOR_ANALYST, "email": "s2@example.test",
                                                  "csrf_token": token})
    client.post("/admin/users/suzuki/deactivate", data={"confirm": "yes", "csrf_token": token})

    def trail(lang: str) -> list[tuple[str, str, str]]:
        html = client.get(f"/admin/users/suzuki?lang={lang}").text.split('id="history"')[1]
        return [(m.group(1), m.group(2), m.group(3)) for m in re.finditer(
            r'<td><time[^>]*>([^<]+)</time></td><td>[^<]*</td><td class="action">([^<]+)</td>'
            r'<td class="detail">([^<]*)</td>', html)]

    ja = trail("ja")
    assert [a for _, a, _ in ja] == ["アカウントの無効化", "アカウントの変更", "アカウントの作成"]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} JST", t) for t, _, _ in ja)
    assert ja[1][2] == "電子メール: suzuki@example.test → s2@example.test; 役割: ホットライン分析担当 → 上級分析担当"
    assert "役割: ホットライン分析担当" in ja[2][2] and "府省庁: —" in ja[2][2] and "created_by" not in ja[2][2]
    en = trail("en")
    assert [a for _, a, _ in en] == ["Account deactivated", "Account changed", "Account created"]
    assert en[1][2] == "E-mail: suzuki@example.test → s2@example.test; Role: Hotline analyst → Senior analyst"
