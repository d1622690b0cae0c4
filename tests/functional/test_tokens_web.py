"""API tokens through the web door: the JSON API (yours; an administrator's view of anyone's), the
account page (list in Japan time, create with an expiry, revoke with CSRF), and a revoked or expired
token refused with 401 JSON on every API route."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.security.routes import flat_routes

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import ApiToken


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def token_of(session: Any, secret: str) -> ApiToken:
    from mamoru.auth.service import _sha256

    session.flush()
    session.expire_all()  # read what the app's requests wrote
    return session.scalars(select(ApiToken).where(ApiToken.secret_hash == _sha256(secret))).one()  # type: ignore[no-any-return]


def test_my_tokens_create_list_revoke(client: TestClient, session: Any, make_user: Any, api_token: Any) -> None:
    u = make_user(roles.ANALYST)
    key = api_token(u, ["plan:read", "flagger"], name="main")  # a token gives only scopes it holds
    r = client.post("/api/v1/me/tokens", json={"name": "flagging", "scopes": ["flagger"], "expires_in_days": 30},
                    headers=bearer(key))
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["token"].startswith("mmr_") and made["scopes"] == ["flagger"] and made["state"] == "active"
    expires = datetime.fromisoformat(made["expires_at"])
    assert abs(expires - datetime.fromisoformat(made["created_at"]) - timedelta(days=30)) < timedelta(seconds=5)
    listed = client.get("/api/v1/me/tokens", headers=bearer(key)).json()
    assert [t["name"] for t in listed] == ["main", "flagging"]
    assert all("token" not in t and "secret_hash" not in t for t in listed)  # the secret is shown once only
    assert listed[0]["last_used_at"] is not None  # this very request used it
    r = client.delete(f"/api/v1/me/tokens/{made['id']}", headers=bearer(key))
    assert r.status_code == 200 and r.json()["state"] == "revoked" and r.json()["revoked_at"]
    assert client.get("/api/v1/me", headers=bearer(made["token"])).status_code == 401
    other = client.post("/api/v1/me/tokens", json={"name": "second", "scopes": ["plan:read"]}, headers=bearer(key)).json()
    assert other["expires_at"] is None
    r = client.post(f"/api/v1/me/tokens/{other['id']}/revoke", headers=bearer(key))
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    events = session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action.like("token:%"))
                             .order_by(audit.AuditEvent.seq)).all()
    assert [e.action for e in events] == ["token:create", "token:create", "token:revoke", "token:create", "token:revoke"]
    assert {e.actor for e in events} == {u.username}


def test_a_token_made_with_an_expiring_token_expires_with_it(client: TestClient, session: Any, make_user: Any,
                                                               api_token: Any) -> None:
    """A leaked short-lived token cannot outlive itself by making a token that never expires (or a
    longer-lived one); a browser session's token has the expiry it asks for."""
    from mamoru.auth.service import create_token

    u = make_user(roles.ANALYST)
    parent = create_token(session, u, "short", ["plan:read", "flagger"], actor=u, expires_in_days=3)
    session.commit()
    limit = datetime.fromisoformat(token_info_expiry(session, parent.secret))
    for body in ({"name": "forever", "scopes": ["plan:read"]},
                 {"name": "longer", "scopes": ["plan:read"], "expires_in_days": 300}):
        r = client.post("/api/v1/me/tokens", json=body, headers=bearer(parent.secret))
        assert r.status_code == 201, r.text
        assert r.json()["expires_at"] is not None
        assert abs(datetime.fromisoformat(r.json()["expires_at"]) - limit) < timedelta(seconds=1)
    r = client.post("/api/v1/me/tokens", json={"name": "sooner", "scopes": ["plan:read"], "expires_in_days": 1},
                    headers=bearer(parent.secret))
    assert datetime.fromisoformat(r.json()["expires_at"]) < limit - timedelta(days=1)  # a shorter life is kept
    key = api_token(u, ["plan:read"], name="open-ended")  # no expiry: the child's is what it asks
    r = client.post("/api/v1/me/tokens", json={"name": "child", "scopes": ["plan:read"]}, headers=bearer(key))
    assert r.status_code == 201 and r.json()["expires_at"] is None


def token_info_expiry(session: Any, secret: str) -> str:
    t = token_of(session, secret)
    assert t.expires_at is not None
    return (t.expires_at if t.expires_at.tzinfo else t.expires_at.replace(tzinfo=UTC)).isoformat()


@pytest.mark.parametrize("body,status", [
    ({"name": "x", "scopes": ["flagger"], "expires_in_days": 0}, 422),
    ({"name": "x", "scopes": ["flagger"], "expires_in_days": -2}, 422),
    ({"name": "x", "scopes": ["flagger"], "expires_in_days": "soon"}, 422),
    ({"name": "x", "scopes": ["teleport"]}, 422),
    ({"name": "x", "scopes": ["match"]}, 403),  # the analyst's role may not hold it
])
def test_bad_token_requests_are_refused(client: TestClient, make_user: Any, api_token: Any, body: Any,
                                        status: int) -> None:
    key = api_token(make_user(roles.ANALYST), ["plan:read"])
    r = client.post("/api/v1/me/tokens", json=body, headers=bearer(key))
    assert r.status_code == status and r.headers["content-type"].startswith("application/json"), r.text
    assert len(client.get("/api/v1/me/tokens", headers=bearer(key)).json()) == 1


def test_another_users_token_is_not_found_but_an_administrator_manages_it(client: TestClient, make_user: Any,
                                                                        api_token: Any) -> None:
    owner, other, admin = make_user(roles.ANALYST), make_user(roles.ANALYST), make_user(roles.ADMINISTRATOR)
    owner_key, other_key, admin_key = (api_token(owner, ["flagger"]), api_token(other, ["plan:read"]),
                                       api_token(admin, ["users:read", "users:write"]))
    [mine] = client.get("/api/v1/me/tokens", headers=bearer(owner_key)).json()
    assert client.delete(f"/api/v1/me/tokens/{mine['id']}", headers=bearer(other_key)).status_code == 404
    assert client.get(f"/api/v1/users/{owner.username}/tokens", headers=bearer(other_key)).status_code == 403
    assert client.delete(f"/api/v1/users/{owner.username}/tokens/{mine['id']}",
                         headers=bearer(other_key)).status_code == 403
    listed = client.get(f"/api/v1/users/{owner.username}/tokens", headers=bearer(admin_key))
    assert listed.status_code == 200 and [t["id"] for t in listed.json()] == [mine["id"]]
    assert client.get("/api/v1/users/nobody-here/tokens", headers=bearer(admin_key)).status_code == 404
    # the id must be one of the named user's tokens
    assert client.delete(f"/api/v1/users/{other.username}/tokens/{mine['id']}",
                         headers=bearer(admin_key)).status_code == 404
    r = client.delete(f"/api/v1/users/{owner.username}/tokens/{mine['id']}", headers=bearer(admin_key))
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert client.get("/api/v1/me", headers=bearer(owner_key)).status_code == 401


def _dead_tokens(session: Any, make_user: Any, api_token: Any) -> dict[str, str]:
    u = make_user(roles.ADMINISTRATOR)
    revoked = api_token(u, sorted(roles.ROLE_SCOPES[roles.ADMINISTRATOR]), name="revoked")
    expired = api_token(u, sorted(roles.ROLE_SCOPES[roles.ADMINISTRATOR]), name="expired")
    token_of(session, revoked).revoked_at = datetime.now(UTC) - timedelta(seconds=1)
    token_of(session, expired).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    return {"revoked": revoked, "expired": expired}


def test_a_revoked_or_expired_token_gets_401_json_on_every_api_route(app: Any, session: Any, make_user: Any,
                                                                    api_token: Any) -> None:
    dead = _dead_tokens(session, make_user, api_token)
    # FastAPI serves its schema document (/api/v1/openapi.json, public, no data) outside the routers,
    # so without the app's dependencies; every other API route refuses the token.
    routes = sorted({(m, p) for m, p, _ in flat_routes(app) if p.startswith("/api/") and p != "/api/v1/openapi.json"})
    assert ("GET", "/api/v1/agencies") in routes and ("POST", "/api/v1/hotline/reports") in routes
    wrong = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for kind, secret in dead.items():
            for method, path in routes:
                url = re.sub(r"\{\w+\}", "1", path)
                r = client.request(method, url, headers=bearer(secret))
                if r.status_code != 401 or not r.headers.get("content-type", "").startswith("application/json") \
                        or "detail" not in r.json():
                    wrong.append(f"{kind}: {method} {path} -> {r.status_code}")
    assert wrong == [], "\n".join(wrong)


def test_last_used_is_recorded_by_a_request_even_a_refused_one(client: TestClient, session: Any, make_user: Any,
                                                               api_token: Any) -> None:
    key = api_token(make_user(roles.PLATFORM), ["match"])
    assert token_of(session, key).last_used_at is None
    assert client.get("/api/v1/users", headers=bearer(key)).status_code == 403  # refused, rolled back
    first = token_of(session, key).last_used_at
    assert first is not None
    assert client.get("/api/v1/me", headers=bearer(key)).status_code == 200
    assert token_of(session, key).last_used_at == first  # within the minute: not written again


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_account_page_lists_creates_and_revokes_in_japan_time(client: TestClient, session: Any, make_user: Any,
                                                              api_token: Any, login_as: Any) -> None:
    u = make_user(roles.ANALYST)
    old = api_token(u, ["plan:read"], name="old-one")
    t = token_of(session, old)
    t.created_at = datetime(2026, 12, 2, 6, 4, tzinfo=UTC)
    t.last_used_at = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    session.commit()
    csrf = login_as(u)
    page = client.get("/account?lang=en")
    assert page.status_code == 200
    assert "2026-12-02 15:04 JST" in page.text and "2026-12-04 08:30 JST" in page.text  # created, last used
    assert "Never" in page.text and f'action="/account/tokens/{t.id}/revoke"' in page.text

    r = client.post("/account/tokens", data={"name": "thirty days", "scopes": ["flagger"], "expires_in_days": "30",
                                             "csrf_token": csrf})
    assert r.status_code == 201, r.text
    secret = re.search(r'<code id="new-token">([^<]+)</code>', r.text).group(1)  # type: ignore[union-attr]
    made = token_of(session, secret)
    assert made.expires_at is not None and made.scopes == ["flagger"]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d JST", r.text)
    assert secret not in client.get("/account").text  # shown once

    for bad in ("0", "-1", "soon"):
        r = client.post("/account/tokens", data={"name": "bad", "scopes": ["flagger"], "expires_in_days": bad,
                                                 "csrf_token": csrf})
        assert r.status_code == 422 and "The expiry is a whole number of days" in r.text
    r = client.post("/account/tokens", data={"name": "none", "csrf_token": csrf})
    assert r.status_code == 422 and "Choose at least one scope." in r.text

    # revoking needs the CSRF token
    r = client.post(f"/account/tokens/{made.id}/revoke", follow_redirects=False)
    assert r.status_code == 403
    assert token_of(session, secret).revoked_at is None
    r = client.post(f"/account/tokens/{made.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/account")
    assert token_of(session, secret).revoked_at is not None
    page = client.get(r.headers["location"])
    row = re.search(rf'<tr id="token-{made.id}"[^>]*>.*?</tr>', page.text, re.S).group(0)  # type: ignore[union-attr]
    assert "Revoked" in row and "/revoke" not in row and "JST" in row
    assert f"Token {made.id} revoked." in page.text
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401

    # another user's token is not found from this page
    theirs = token_of(session, api_token(make_user(roles.ANALYST), ["flagger"]))
    r = client.post(f"/account/tokens/{theirs.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 404
    assert token_of(session, api_token(make_user(roles.PLATFORM), ["match"])).revoked_at is None
    session.expire_all()
    assert session.get(ApiToken, theirs.id).revoked_at is None


def test_account_page_in_japanese(client: TestClient, session: Any, make_user: Any, api_token: Any,
                                  login_as: Any) -> None:
    u = make_user(roles.ANALYST)
    key = api_token(u, ["plan:read"], name="ja-token")
    token_of(session, key).expires_at = datetime(2027, 3, 31, 15, 0, tzinfo=UTC)
    session.commit()
    csrf = login_as(u)
    page = client.get("/account?lang=ja").text
    for text in ("有効期限", "失効させる", "未使用", "有効日数（任意）", "2027-04-01 00:00 JST"):
        assert text in page, text
    r = client.post("/account/tokens?lang=ja", data={"name": "x", "scopes": ["flagger"], "expires_in_days": "0",
                                                     "csrf_token": csrf})
    assert r.status_code == 422 and "有効日数は1から3650までの整数で指定してください。" in r.text
    assert _csrf(page)
