"""The staff API of the blocking list: propose, four eyes (refused for every role and for an account
the proposer created), reject, remove, review, appeals, compare, publish; the OpenAPI document."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.settings_support import make_settings

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.blocklist import service, signing
from mamoru.config import Settings

API = "/api/v1/blocklist"
ALL4 = list(service.CRITERIA)


@pytest.fixture
def tag() -> str:
    return secrets.token_hex(4)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    signing.rotate_key(tmp_path / "bl.key")  # a configured key is made by `key rotate`, never on the fly
    return make_settings(tmp_path, {"MAMORU_BLOCKLIST_KEY": str(tmp_path / "bl.key")}, login_attempts=5)


def _h(api_token, user, scopes: tuple[str, ...] = ("plan:read", "blocklist")) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {api_token(user, list(scopes))}"}


def _propose(client, h, value: str, kind: str = "host", **extra) -> dict:  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/entries", json={"kind": kind, "value": value, "reason": "case", **extra}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("role", sorted(service.EDITOR_ROLES))
def test_nobody_confirms_their_own_entry_through_the_api(session: Session, client, make_user, api_token,
                                                         role: str, tag: str) -> None:
    u = make_user(role)
    h = _h(api_token, u)
    e = _propose(client, h, f"www.bad-{tag}.example")
    r = client.post(f"{API}/entries/{e['id']}/confirm", headers=h)
    assert r.status_code == 403 and "you proposed this entry" in r.json()["detail"]
    assert client.get(f"{API}/entries/{e['id']}", headers=h).json()["status"] == "proposed"
    session.expire_all()
    refused = session.scalars(select(AuditEvent.target).where(AuditEvent.action == "blocklist:entry:confirm-refused"))
    assert f"blocklist-entry:{e['id']}" in list(refused)  # the refusal is kept in the audit log


@pytest.mark.parametrize("role", sorted(service.EDITOR_ROLES))
def test_an_account_the_proposer_created_is_refused_through_the_api(client, make_user, api_token,
                                                                    role: str, tag: str) -> None:
    admin = make_user(roles.ADMINISTRATOR)
    puppet = make_user(role, created_by=admin)
    e = _propose(client, _h(api_token, admin), f"cdn.bad-{tag}.example")
    r = client.post(f"{API}/entries/{e['id']}/confirm", headers=_h(api_token, puppet))
    assert r.status_code == 403 and "created by the proposer" in r.json()["detail"]
    e2 = _propose(client, _h(api_token, puppet), f"cdn2.bad-{tag}.example")
    r = client.post(f"{API}/entries/{e2['id']}/confirm", headers=_h(api_token, admin))
    assert r.status_code == 403 and "created by you" in r.json()["detail"]


@pytest.mark.parametrize("role", sorted(service.EDITOR_ROLES))
def test_an_account_made_by_an_account_the_proposer_made_is_refused_through_the_api(
        session: Session, client, make_user, api_token, role: str, tag: str) -> None:
    admin = make_user(roles.ADMINISTRATOR)
    admin2 = make_user(roles.ADMINISTRATOR, created_by=admin)
    third = make_user(role, created_by=admin2)
    e = _propose(client, _h(api_token, admin), f"cdn.chain-{tag}.example")
    r = client.post(f"{API}/entries/{e['id']}/confirm", headers=_h(api_token, third))
    assert r.status_code == 403 and "created by the proposer" in r.json()["detail"], r.text
    assert client.get(f"{API}/entries/{e['id']}", headers=_h(api_token, admin)).json()["status"] == "proposed"
    e2 = _propose(client, _h(api_token, third), f"cdn2.chain-{tag}.example")
    r = client.post(f"{API}/entries/{e2['id']}/confirm", headers=_h(api_token, admin))
    assert r.status_code == 403 and "created by you" in r.json()["detail"], r.text
    session.expire_all()
    refused = set(session.scalars(select(AuditEvent.target)
                                  .where(AuditEvent.action == "blocklist:entry:confirm-refused")))
    assert {f"blocklist-entry:{e['id']}", f"blocklist-entry:{e2['id']}"} <= refused
    outsider = make_user(roles.SENIOR_ANALYST)
    r = client.post(f"{API}/entries/{e['id']}/confirm", headers=_h(api_token, outsider))
    assert r.status_code == 200 and r.json()["status"] == "active", r.text


def test_lifecycle_search_compare_publish(client, make_user, api_token, tag: str) -> None:
    a, s, admin = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST), make_user(roles.ADMINISTRATOR)
    ha, hs, hadm = _h(api_token, a), _h(api_token, s), _h(api_token, admin)
    r = client.post(f"{API}/entries", json={"kind": "domain", "value": f"evil-{tag}.example", "reason": "x",
                                           "criteria": ["purpose", "confirmed"]}, headers=ha)
    assert r.status_code == 422 and "no-alternative" in r.text
    v0 = client.get(f"{API}/version", headers=ha).json()["version"]
    d = _propose(client, ha, f"Evil-{tag}.Example.", kind="domain", criteria=ALL4, case_ref=f"C-{tag}")
    u = _propose(client, ha, f"HTTP://files-{tag}.example/a/../p#x", kind="url")
    assert (d["value"], u["value"]) == (f"evil-{tag}.example", f"http://files-{tag}.example/p")
    assert client.post(f"{API}/entries", json={"kind": "host", "value": f"evil-{tag}.example"}, headers=ha).status_code == 422

    for e in (d, u):
        r = client.post(f"{API}/entries/{e['id']}/confirm", headers=hs)
        assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["confirmed_by"] == s.username
    hits = client.get(f"{API}/entries", params={"q": f"c-{tag}"}, headers=ha).json()
    assert [x["id"] for x in hits] == [d["id"]]
    assert [x["id"] for x in client.get(f"{API}/entries", params={"q": tag, "kind": "url"}, headers=ha).json()] == [u["id"]]

    pub = client.post(f"{API}/publications", headers=hs)
    assert pub.status_code == 201 and pub.json()["version"] == v0 + 2
    assert client.post(f"{API}/publications", headers=ha).status_code == 403  # analysts do not publish
    assert client.post(f"{API}/publications", headers=hs).status_code == 409  # nothing changed since

    r = client.post(f"{API}/entries/{u['id']}/remove", json={"content_removed": True}, headers=ha)
    assert r.status_code == 200 and r.json()["status"] == "removed" and r.json()["removed_version"] == v0 + 3
    cmp = client.get(f"{API}/versions/compare", params={"from": v0, "to": v0 + 3}, headers=ha).json()
    assert [x["value"] for x in cmp["added"]] == [f"evil-{tag}.example"] and cmp["removed"] == []
    cmp = client.get(f"{API}/versions/compare", params={"from": v0 + 2, "to": v0 + 3}, headers=ha).json()
    assert cmp["added"] == [] and cmp["removed"] == [u["id"]]
    assert client.get(f"{API}/versions/compare", params={"from": 0, "to": v0 + 99}, headers=ha).status_code == 422

    p = _propose(client, ha, f"p.bad-{tag}.example")
    r = client.post(f"{API}/entries/{p['id']}/reject", json={"reason": "not enough"}, headers=hadm)
    assert r.json()["status"] == "rejected"
    assert client.post(f"{API}/entries/{p['id']}/confirm", headers=hs).status_code == 409


def test_review_and_appeals(session: Session, client, make_user, api_token, tag: str) -> None:
    a, s, s2 = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST), make_user(roles.SENIOR_ANALYST)
    ha, hs, hs2 = _h(api_token, a), _h(api_token, s), _h(api_token, s2)
    e = _propose(client, ha, f"www.appeal-{tag}.example")
    client.post(f"{API}/entries/{e['id']}/confirm", headers=hs)
    entry = service.get_entry(session, e["id"])
    entry.review_on = date.today()
    session.commit()
    due = client.get(f"{API}/entries/review-due", headers=ha).json()
    assert e["id"] in [x["id"] for x in due]
    nxt = (date.today() + timedelta(days=90)).isoformat()
    r = client.post(f"{API}/entries/{e['id']}/reverify", json={"next_review": nxt}, headers=ha)
    assert r.json()["review_on"] == nxt
    assert e["id"] not in [x["id"] for x in client.get(f"{API}/entries/review-due", headers=ha).json()]

    r = client.post(f"{API}/entries/{e['id']}/appeals", json={"appellant": "site owner", "grounds": "gone"}, headers=ha)
    assert r.status_code == 201
    appeal = r.json()
    assert appeal["id"] in [x["id"] for x in client.get(f"{API}/appeals", params={"status": "pending"}, headers=ha).json()]
    body = {"upheld": True, "reason": "content deleted"}
    assert client.post(f"{API}/appeals/{appeal['id']}/decision", json=body, headers=ha).status_code == 403  # role
    r = client.post(f"{API}/appeals/{appeal['id']}/decision", json=body, headers=hs)  # the confirmer
    assert r.status_code == 403 and "someone else" in r.json()["detail"]
    r = client.post(f"{API}/appeals/{appeal['id']}/decision", json=body, headers=hs2)
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    assert client.get(f"{API}/entries/{e['id']}", headers=ha).json()["status"] == "removed"


def test_outsiders_and_openapi(client, make_user, api_token) -> None:
    sub = make_user(roles.SUBSCRIBER)
    h = {"Authorization": f"Bearer {api_token(sub, ['feed'])}"}
    assert client.get(f"{API}/entries", headers=h).status_code == 403
    assert client.post(f"{API}/entries", json={"kind": "host", "value": "x.example", "reason": "r"}, headers=h).status_code == 403
    assert client.get(f"{API}/entries").status_code == 401
    doc = client.get("/api/v1/openapi.json").json()
    assert {"BlocklistEntryIn", "BlocklistEntryOut", "BlocklistAppealOut", "BlocklistCompareOut", "BlocklistPublicationOut"} <= set(doc["components"]["schemas"])
    assert "403" in doc["paths"][f"{API}/entries/{{entry_id}}/confirm"]["post"]["responses"]


def test_a_token_without_the_blocklist_scope_is_refused(client, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    """The role alone is not enough: an analyst's token made for reading the plan cannot touch the list."""
    analyst = make_user("analyst")
    if True:
        r = client.post(f"{API}/entries", json={"kind": "host", "value": "scope.example.test", "reason": "case"},
                        headers=_h(api_token, analyst, ("plan:read",)))
        assert r.status_code == 403 and "blocklist" in r.json()["detail"]
        r = client.get(f"{API}/entries", headers=_h(api_token, analyst, ("plan:read",)))
        assert r.status_code == 403
        r = client.get(f"{API}/entries", headers=_h(api_token, analyst))
        assert r.status_code == 200
