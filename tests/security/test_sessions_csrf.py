"""Browser sessions expire, and every form refuses a request without its CSRF token.

Sessions slide: each request (at most once a minute) moves the expiry to now + MAMORU_SESSION_HOURS;
a session not used for that long is refused (auth/service.py find_session). The clock
is the service's `utcnow`, replaced here by one the test moves.

The CSRF walk takes every unsafe HTML route from the app's route table (tests/security/routes.py),
signs in as a role that may use the route (the authorization matrix's RULES, so the refusal cannot
come from the role check), posts once without a token and once with another session's token, and
expects 403 naming the CSRF token, with no row of any table changed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import login
from tests.security.routes import flat_routes

from mamoru.auth import roles as R

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    import mamoru.auth.service as auth_service

    c = Clock(auth_service.utcnow())
    monkeypatch.setattr(auth_service, "utcnow", c)
    return c


def signed_in(client: TestClient, username: str) -> bool:
    r = client.get("/account", follow_redirects=False)
    return r.status_code == 200 and username in r.text


def test_a_session_unused_for_its_lifetime_is_refused_and_a_used_one_slides(app: Any, settings: Any, make_user: Any,
                                                                          clock: Clock) -> None:
    user = make_user("coordinator")
    hours = timedelta(hours=settings.session_hours)
    with TestClient(app) as client:
        login(client, user.username)
        assert signed_in(client, user.username)
        clock.now += hours - timedelta(minutes=5)  # used before it ran out: it slides forward
        assert signed_in(client, user.username)
        clock.now += hours - timedelta(minutes=5)  # past the first lifetime, within the slid one
        assert signed_in(client, user.username)
        clock.now += hours + timedelta(seconds=1)  # unused for longer than its lifetime
        r = client.get("/account", follow_redirects=False)
        assert r.status_code in (303, 401) and user.username not in r.text, r.status_code
        assert r.status_code == 401 or r.headers["location"].startswith("/login")
        clock.now += timedelta(minutes=5)  # and it stays refused (the refusal did not slide it)
        assert not signed_in(client, user.username)


def test_a_session_whose_stored_expiry_has_passed_is_refused(app: Any, session: Any, make_user: Any) -> None:
    from mamoru.auth.models import WebSession
    from mamoru.db import utcnow

    user = make_user("administrator")
    with TestClient(app) as client:
        csrf = login(client, user.username)
        ws = session.scalars(select(WebSession).where(WebSession.user_id == user.id)).one()
        ws.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
        assert not signed_in(client, user.username)
        r = client.post("/admin/users", data={"csrf_token": csrf, "username": "late", "role": "auditor"},
                        follow_redirects=False)
        assert r.status_code in (303, 401, 403)
    from mamoru.auth.models import User

    assert session.scalars(select(User).where(User.username == "late")).first() is None
    # The expired row is gone once anyone signs in again (the refusing request rolled back).
    other = make_user("coordinator")
    with TestClient(app) as client:
        login(client, other.username)
    session.expire_all()
    assert session.scalars(select(WebSession).where(WebSession.user_id == user.id)).first() is None


# -- CSRF on every form ------------------------------------------------------------------------

def html_unsafe_routes(app: Any) -> list[tuple[str, str]]:
    return sorted({(m, p) for m, p, _ in flat_routes(app) if m in UNSAFE and not p.startswith("/api/")})


def role_for(method: str, path: str) -> str:
    """A signed-in role the authorization matrix lets through this route (coordinator when all are)."""
    from tests.security.test_authorization_matrix import rule_for

    allowed = rule_for(method, path)
    assert allowed is not None, f"{method} {path} has no authorization rule"
    for role in (R.COORDINATOR, *R.ALL_ROLES):
        if role in allowed:
            return role
    raise AssertionError(f"{method} {path}: no signed-in role may use it")


def table_rows(session: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every mapped table (web_sessions aside: reading a page may slide a session)."""
    import mamoru.models_registry  # noqa: F401
    from mamoru.db import Base

    session.expire_all()
    return {t.name: sorted(tuple(map(repr, row)) for row in session.execute(select(t)))
            for t in Base.metadata.sorted_tables if t.name != "web_sessions"}


def test_every_unsafe_html_route_refuses_a_request_without_the_csrf_token(app: Any, loaded: Any,
                                                                         make_user: Any) -> None:
    from tests.security.test_authorization_matrix import _domain_ids, fill

    from mamoru.web.limits import takes_files

    routes = html_unsafe_routes(app)
    uploads = {(m, p) for m, p, r in flat_routes(app) if takes_files(r)}
    assert ("POST", "/report") in routes and ("POST", "/followup/rounds/{round_id}/import") in routes
    assert len(routes) >= 50, routes  # the walk covers the app's forms, not an empty list
    users = {role: make_user(role, agency="NPA" if role == R.AGENCY_OFFICER else None) for role in R.ALL_ROLES}
    params = {"key": "bp17", "number": "1", "code": "NPA", "prefecture": "13", "fmt": "csv"}
    params.update(_domain_ids(loaded, users))
    wrong: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as other:
        other_token = login(other, users[R.COORDINATOR].username)  # a real token, of another session
    clients: dict[str, TestClient] = {}
    try:
        for role in sorted({role_for(m, p) for m, p in routes}):
            clients[role] = TestClient(app, raise_server_exceptions=False)
            clients[role].__enter__()
            login(clients[role], users[role].username)
        before = table_rows(loaded)
        for method, path in routes:
            client = clients[role_for(method, path)]
            url = fill(path, params)
            for label, form in (("no token", {"x": "1"}), ("another session's token", {"csrf_token": other_token})):
                # a file only where the route takes one: the others refuse a multipart body unread (415)
                files = {"file": ("a.csv", b"url\n", "text/csv")} if (method, path) in uploads else None
                r = client.request(method, url, data=form, files=files, follow_redirects=False)
                if r.status_code != 403 or "CSRF" not in r.text:
                    wrong.append(f"{method} {path} ({label}): {r.status_code} {r.text[:120]!r}")
        assert wrong == [], "\n".join(wrong)
        assert table_rows(loaded) == before  # nothing changed anywhere
        client = clients[R.COORDINATOR]
        assert signed_in(client, users[R.COORDINATOR].username)  # POST /logout without a token did not log out
    finally:
        for c in clients.values():
            c.__exit__(None, None, None)


def test_the_public_report_form_refuses_without_the_anonymous_token(app: Any, loaded: Any) -> None:
    """POST /report checks the anonymous double-submit cookie: the cookie alone, or a token without it, fails."""
    from sqlalchemy import func

    from mamoru.hotline.models import Report

    with TestClient(app) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/report").text).group(1)  # type: ignore[union-attr]
        before = loaded.scalar(select(func.count()).select_from(Report))
        assert client.post("/report", data={"url": "http://csrf.example.test/"}).status_code == 403
        assert client.post("/report", data={"url": "http://csrf.example.test/", "csrf_token": "x" + token}).status_code == 403
    with TestClient(app) as stranger:  # a token copied into a page without its cookie
        assert stranger.post("/report", data={"url": "http://csrf.example.test/", "csrf_token": token}).status_code == 403
    assert loaded.scalar(select(func.count()).select_from(Report)) == before
