"""Failed logins slow the attacker down; they never lock the real user out.

The right password always gets in (no 429, however many wrong attempts came before, from anyone).
A wrong one is counted per username and per client key (an HMAC of the address) and answered after
a delay: none for the first MAMORU_LOGIN_ATTEMPTS, then 0.5 s doubling up to 8 s
(auth.service.failure_delay). The wait happens after the request is done (web.limits.AnswerLater):
no database connection is held, and on SQLite the one-request-at-a-time queue moves on. Rows of
names that are no account's expire after the window and are not stored beyond a bound.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.asyncrun import run_isolated
from tests.conftest import TEST_PASSWORD
from tests.settings_support import make_settings

from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import LoginAttempt
from mamoru.db import Database
from mamoru.web import limits
from mamoru.web.app import create_app


def _csrf(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _post(client: TestClient, username: str, password: str) -> int:
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": _csrf(client),
                                    "next": "/"}, follow_redirects=False)
    return r.status_code


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits AnswerLater makes, recorded instead of slept."""
    seen: list[float] = []

    async def record(seconds: float) -> None:
        seen.append(seconds)

    monkeypatch.setattr(limits, "wait_before_answer", record)
    return seen


def test_delays_grow_per_username_to_the_cap(app: Any, make_user: Any, waits: list[float]) -> None:
    assert [auth_service.failure_delay(n, 5) for n in range(1, 12)] == [0, 0, 0, 0, 0, 0.5, 1, 2, 4, 8, 8]
    user = make_user(roles.COORDINATOR)
    with TestClient(app) as c:
        assert [_post(c, user.username, "not-the-password") for _ in range(7)] == [401] * 7
    assert waits == [0.5, 1]  # MAMORU_LOGIN_ATTEMPTS=5 answered at once, then slowed
    waits.clear()
    with TestClient(app) as c:  # a name that is no account's is slowed the same way (cheaper: no hash)
        assert {_post(c, "no-such-user", "not-the-password") for _ in range(11)} == {401}
    assert waits == [2, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8]  # this client's failures count too: 8th onwards


def test_the_right_password_gets_in_after_many_wrong_attempts_by_someone_else(
        app: Any, make_user: Any, waits: list[float]) -> None:
    user = make_user(roles.ADMINISTRATOR)
    with TestClient(app, client=("203.0.113.7", 4000)) as attacker:
        assert {_post(attacker, user.username, f"guess-{i}-password") for i in range(7)} == {401}
    assert waits == [0.5, 1]
    with TestClient(app, client=("198.51.100.2", 5000)) as owner:
        assert _post(owner, user.username, TEST_PASSWORD) == 303  # before the change: 429
        assert user.username in owner.get("/account").text
    with TestClient(app, client=("203.0.113.7", 4000)) as attacker:  # and the attacker is still slowed
        waits.clear()
        assert _post(attacker, user.username, "one-more-guess-pw") == 401
        assert waits == [2]


def test_wrong_attempts_are_slowed_per_client_across_usernames(app: Any, make_user: Any,
                                                               waits: list[float]) -> None:
    names = [make_user(roles.AUDITOR).username for _ in range(4)] + ["nobody-1", "nobody-2", "nobody-3"]
    with TestClient(app, client=("203.0.113.9", 4000)) as spray:
        assert {_post(spray, name, "not-the-password") for name in names} == {401}
    assert waits == [0.5, 1]  # one failure per name, but the 6th and 7th from this client
    waits.clear()
    with TestClient(app, client=("192.0.2.1", 4000)) as other:  # another client is not slowed by it
        assert _post(other, names[0], "not-the-password") == 401
    assert waits == []


def test_a_slowed_answer_holds_no_connection_and_no_queue_place(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A real pool on a file SQLite database (where the app answers one request at a time): while a
    wrong password's answer waits, no connection is checked out, and the owner's right password is
    answered (the wait ends only once it is: were the queue or a connection held, it never would)."""
    from mamoru.db import make_engine
    from mamoru.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'login.db'}")
    upgrade(engine)
    database = Database(engine)
    with database.session() as s:
        auth_service.create_user(s, "owner", roles.COORDINATOR, TEST_PASSWORD)
    app = create_app(make_settings(tmp_path, login_attempts=0), database)  # the first failure is slowed
    checked_out: list[int] = []

    async def scenario() -> list[str]:
        waiting, answered = asyncio.Event(), asyncio.Event()
        order: list[str] = []

        async def watched_wait(seconds: float) -> None:
            checked_out.append(engine.pool.checkedout())  # type: ignore[attr-defined]
            waiting.set()
            await asyncio.wait_for(answered.wait(), 30)

        monkeypatch.setattr(limits, "wait_before_answer", watched_wait)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as a, \
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as b:
            tokens = []
            for c in (a, b):
                page = await c.get("/login")
                tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]

            async def wrong() -> None:
                r = await a.post("/login", data={"username": "owner", "password": "not-the-password",
                                                 "csrf_token": tokens[0]})
                assert r.status_code == 401
                order.append("wrong")

            async def right() -> None:
                await waiting.wait()
                r = await b.post("/login", data={"username": "owner", "password": TEST_PASSWORD,
                                                 "csrf_token": tokens[1]}, follow_redirects=False)
                assert r.status_code == 303
                order.append("right")
                answered.set()

            await asyncio.gather(wrong(), right())
        return order

    try:
        assert run_isolated(scenario()) == ["right", "wrong"]
    finally:
        engine.dispose()
    assert checked_out == [0]


def test_rows_of_unknown_names_expire_and_are_bounded(session: Session, make_user: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    known = make_user(roles.AUDITOR)
    monkeypatch.setattr(auth_service, "UNKNOWN_NAMES_MAX", 3)
    delays = []
    for i in range(6):
        with pytest.raises(auth_service.LoginFailed) as e:
            auth_service.authenticate(session, f"made-up-{i}", "whatever-password", 10, client=f"c{i}")
        delays.append(e.value.delay)
    assert delays == [0, 0, 0, auth_service.DELAY_CAP, auth_service.DELAY_CAP, auth_service.DELAY_CAP]
    with pytest.raises(auth_service.LoginFailed):  # an account's name is still counted
        auth_service.authenticate(session, known.username, "whatever-password", 10, client="c9")
    names = sorted(session.scalars(select(LoginAttempt.username)))
    assert names == sorted(["made-up-0", "made-up-1", "made-up-2", known.username])

    later = auth_service.utcnow() + auth_service.THROTTLE_WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(auth_service, "utcnow", lambda: later)
    with pytest.raises(auth_service.LoginFailed) as e:
        auth_service.authenticate(session, "made-up-7", "whatever-password", 10, client="c7")
    assert e.value.delay == 0
    assert list(session.scalars(select(LoginAttempt.username))) == ["made-up-7"]  # the old rows are gone
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
