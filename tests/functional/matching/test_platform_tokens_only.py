"""Matching is for platform accounts, by API token, against the banks offered to and chosen by them.

A browser session of any role (an administrator's too, and a platform's) gets 403 with a JSON error
on every /api/v1/match route; so does a token of any other role; the matching service itself refuses
any account but a platform's, whatever door calls it; the distance stays the platform's limit.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import login
from tests.factories.matching import two_banks

from mamoru.auth import roles
from mamoru.errors import PermissionDenied
from mamoru.matching.answers import answer, answer_dihedral
from mamoru.matching.index import MATCH_DISTANCE


def account(make_user: Any, role: str) -> Any:
    return make_user(role, agency="NPA" if role == roles.AGENCY_OFFICER else None)


MATCH_ROUTES = [("POST", "/api/v1/match"), ("POST", "/api/v1/match/reports"), ("GET", "/api/v1/match/banks"),
                ("PUT", "/api/v1/match/banks"), ("GET", "/api/v1/match/status")]


@pytest.fixture()
def world(session: Session) -> dict[str, Any]:
    return two_banks(session, chosen="offered", other="unoffered", seeds=(41, 42), n=3, label="A1", show_labels=False)


def body_for(path: str, world: dict[str, Any]) -> dict[str, Any] | None:
    hashes = [world["unoffered"][0]]
    return {"/api/v1/match": {"hashes": hashes, "distance": 63},
            "/api/v1/match/reports": {"url": "http://platform.example.test/x", "hashes": hashes},
            "/api/v1/match/banks": {"banks": []}}.get(path)


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_a_browser_session_of_any_role_gets_403_json(app: Any, world: dict[str, Any], make_user: Any,
                                                     role: str) -> None:
    user = world["platform"] if role == roles.PLATFORM else account(make_user, role)
    with TestClient(app) as client:
        csrf = login(client, user.username)
        for method, path in MATCH_ROUTES:
            r = client.request(method, path, json=body_for(path, world),
                               headers={"x-csrf-token": csrf, "accept": "application/json"})
            assert r.status_code == 403, (role, method, path, r.text)
            assert r.headers["content-type"].startswith("application/json")
            assert "matching is for platform API tokens" in r.json()["detail"]
            assert "unoffered" not in r.text and "A1" not in r.text


@pytest.mark.parametrize("role", [r for r in roles.ALL_ROLES if r != roles.PLATFORM])
def test_a_token_of_any_other_role_gets_403(client: Any, world: dict[str, Any], make_user: Any, api_token: Any,
                                            role: str) -> None:
    token = api_token(account(make_user, role), sorted(roles.ROLE_SCOPES[role]))
    for method, path in MATCH_ROUTES:
        r = client.request(method, path, json=body_for(path, world), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403 and "matching is for platform API tokens" in r.json()["detail"], (path, r.text)


def test_the_platform_token_matches_its_chosen_banks_at_its_distance(client: Any, world: dict[str, Any]) -> None:
    h = {"Authorization": f"Bearer {world['token']}"}
    r = client.post("/api/v1/match", json={"hashes": [world["unoffered"][0]], "distance": 63}, headers=h)
    assert r.status_code == 403 and f"distance {MATCH_DISTANCE} or less" in r.json()["detail"]
    r = client.post("/api/v1/match", json={"hashes": [world["unoffered"][0], world["offered"][0]],
                                           "distance": MATCH_DISTANCE}, headers=h)
    assert r.status_code == 200, r.text
    unoffered, offered = r.json()["results"]
    assert unoffered["matches"] == []  # a bank not offered to the platform is never searched
    assert [m["bank"] for m in offered["matches"]] == [f"offered-{world['tag']}"]
    assert "category" not in offered["matches"][0]  # its choice shows no labels


@pytest.mark.parametrize("role", [r for r in roles.ALL_ROLES if r != roles.PLATFORM])
def test_the_service_matches_for_no_other_account(session: Session, world: dict[str, Any], make_user: Any,
                                                  role: str) -> None:
    """Whatever door calls it (another process, a future page): only a platform, or the command line
    (no user), matches."""
    user = account(make_user, role)
    with pytest.raises(PermissionDenied, match="platform"):
        answer(session, None, user, [world["unoffered"][0]])  # type: ignore[arg-type]  # refused before any lookup
    with pytest.raises(PermissionDenied, match="platform"):
        answer_dihedral(session, None, user, [",".join([world["unoffered"][0]] * 8)])  # type: ignore[arg-type]
