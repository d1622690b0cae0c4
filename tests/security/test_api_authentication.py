"""How the API answers who is asking, walked over the app's route table (tests/security/routes.py).

- No credentials, or a Bearer token nobody has: 401 with a JSON {"detail": ...} and
  `WWW-Authenticate: Bearer` on every API route that needs an account, unsafe ones included (an
  unsafe request with no session used to meet the CSRF check first and get 403).
- A live token whose owner's role or whose scopes do not fit the route: 403 with a JSON detail.
- A page ignores a Bearer token: pages are for browser sessions (a token's scopes are not asked
  there), so a token reaches no page that anonymous visitors do not.
- A token gives a new token only scopes it holds itself.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.security.routes import flat_routes
from tests.security.test_authorization_matrix import ANON, RULES, rule_for

from mamoru.auth import roles as R

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def api_routes(app: Any, *, unsafe: bool | None = None) -> list[tuple[str, str]]:
    """API routes that need an account (not public), from the app's route table."""
    out = []
    for method, path, _ in flat_routes(app):
        if not path.startswith("/api/") or path == "/api/v1/openapi.json":
            continue
        rule = rule_for(method, path)
        assert rule is not None, f"{method} {path} has no rule in the authorization matrix"
        if ANON in rule or (unsafe is not None and (method in UNSAFE) != unsafe):
            continue
        out.append((method, path))
    return sorted(set(out))


def url_of(path: str) -> str:
    return re.sub(r"\{\w+\}", "1", path)


def is_bearer_401(r: Any) -> bool:
    return (r.status_code == 401 and r.headers.get("content-type", "").startswith("application/json")
            and isinstance(r.json().get("detail"), str) and r.headers.get("www-authenticate") == "Bearer")


@pytest.mark.parametrize("credentials", ["none", "unknown token", "stale session cookie"])
def test_every_api_route_answers_401_json_with_bearer_without_a_valid_credential(app: Any, credentials: str) -> None:
    routes = api_routes(app)
    unsafe = [rt for rt in routes if rt[0] in UNSAFE]
    assert ("POST", "/api/v1/hotline/cases/{case_id}/assessments") in unsafe and len(unsafe) > 60
    headers = {"accept": "application/json"}
    if credentials == "unknown token":
        headers["authorization"] = "Bearer mmr_nobody-has-this-token"
    wrong = []
    with TestClient(app, raise_server_exceptions=False) as client:
        if credentials == "stale session cookie":
            client.cookies.set("mamoru_session", "a-session-that-does-not-exist")
        for method, path in routes:
            r = client.request(method, url_of(path), headers=headers, json={})
            if not is_bearer_401(r):
                wrong.append(f"{method} {path} -> {r.status_code} {r.headers.get('www-authenticate')} {r.text[:80]}")
    assert wrong == [], "\n".join(wrong)


def test_a_known_token_lacking_the_role_or_the_scope_gets_403_json(app: Any, make_user: Any, api_token: Any) -> None:
    """Every account-needing API route refuses, with 403 and a JSON detail, a live token whose role
    the route does not admit (the subscriber's feed token, outside the feed) or that lacks the
    route's scope (the auditor's plan:read token, outside the plan)."""
    subscriber = api_token(make_user(R.SUBSCRIBER), ["feed"])
    auditor = api_token(make_user(R.AUDITOR), ["plan:read"])
    wrong = []
    checked = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path in api_routes(app):
            rule = RULES[f"{method} {path}"]
            for role, token in ((R.SUBSCRIBER, subscriber), (R.AUDITOR, auditor)):
                if role in rule:
                    continue  # the role is admitted: its scopes are the matrix's business
                checked += 1
                r = client.request(method, url_of(path), json={}, headers={"authorization": f"Bearer {token}"})
                if r.status_code != 403 or not isinstance(r.json().get("detail"), str):
                    wrong.append(f"{method} {path} as {role}: {r.status_code} {r.text[:80]}")
    assert checked > 150 and wrong == [], "\n".join(wrong)


def test_a_page_ignores_a_bearer_token(client: TestClient, session: Any, make_user: Any, api_token: Any) -> None:
    from tests.factories import hotline

    report = hotline.report(session, "http://page-token.example.test/a")
    analyst = make_user(R.ANALYST)
    for scopes in (["plan:read"], sorted(R.ROLE_SCOPES[R.ANALYST])):
        h = {"authorization": f"Bearer {api_token(analyst, scopes)}"}
        for page in ("/hotline", f"/hotline/cases/{report.case_id}", "/account"):
            r = client.get(page, headers=h, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (page, r.status_code)
    # the same token on the API: it is the token, with its scopes, that answers
    r = client.get(f"/api/v1/hotline/cases/{report.case_id}", headers=h)
    assert r.status_code == 200 and r.json()["number"] == f"C{report.case_id:07d}"


def test_a_token_gives_a_new_token_only_scopes_it_holds(client: TestClient, make_user: Any, api_token: Any,
                                                        login_as: Any) -> None:
    analyst = make_user(R.ANALYST)
    narrow = {"authorization": f"Bearer {api_token(analyst, ['plan:read'])}"}
    for path in ("/api/v1/me/tokens", "/api/v1/tokens"):
        r = client.post(path, json={"name": "wider", "scopes": ["plan:read", "hotline:read"]}, headers=narrow)
        assert r.status_code == 403 and "hotline:read" in r.json()["detail"], r.text
        r = client.post(path, json={"name": "same", "scopes": ["plan:read"]}, headers=narrow)
        assert r.status_code == 201, r.text
    r = client.post("/api/v1/me/tokens", json={"name": "x", "scopes": ["teleport"]}, headers=narrow)
    assert r.status_code == 422  # an unknown scope is still bad input
    # a browser session holds every scope of its role, so it gives any of them
    csrf = login_as(analyst)
    r = client.post("/api/v1/me/tokens", json={"name": "from the page", "scopes": sorted(R.ROLE_SCOPES[R.ANALYST])},
                    headers={"x-csrf-token": csrf})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/me/tokens", json={"name": "not the role's", "scopes": ["match"]},
                    headers={"x-csrf-token": csrf})
    assert r.status_code == 403
