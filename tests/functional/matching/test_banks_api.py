"""/api/v1/banks on both databases: the banks' whole life through the API, and every refusal.

Hashes are generated (synthetic PDQ words); nothing here is an image.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.settings_support import make_settings

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.config import Settings
from mamoru.matching import synthetic
from mamoru.matching.index import words_hex
from mamoru.matching.models import HashBank, HashBankEntry, MatchState
from mamoru.web.limits import UPLOAD_LIMIT_BYTES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared settings, with a matcher that checks the banks' version on every request."""
    return make_settings(tmp_path, {"MAMORU_MATCH_POLL_SECONDS": "0"}, login_attempts=5)


def hexes(n: int, seed: int) -> list[str]:
    return words_hex(synthetic.uniform(n, np.random.default_rng(seed)))


def flip(h: str, bits: int) -> str:
    return f"{int(h, 16) ^ ((1 << bits) - 1):064x}"


class Staff:
    """A client acting with one user's API token."""

    def __init__(self, client: Any, user: Any, token: str) -> None:
        self.client, self.user, self.headers = client, user, {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers=self.headers, **kw)

    def upload(self, bank: str, data: bytes, fmt: str = "lines", signal: str = "pdq") -> Any:
        return self.post(f"/api/v1/banks/{bank}/import", files={"file": ("hashes.txt", data, "text/plain")},
                         data={"format": fmt, "signal": signal})


@pytest.fixture
def as_role(client: Any, make_user: Callable[..., Any], api_token: Callable[..., str]) -> Callable[..., Staff]:
    def make(role: str, scopes: list[str] | None = None) -> Staff:
        user = make_user(role)
        chosen = sorted(roles.ROLE_SCOPES[role]) if scopes is None else scopes
        return Staff(client, user, api_token(user, chosen))

    return make


def bank_name() -> str:
    return f"confirmed-{secrets.token_hex(4)}"  # unique: SQLite tests share one database file


def stored(session: Session, bank: str) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(HashBankEntry).join(HashBank)
                          .where(HashBank.name == bank)) or 0


def version(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(MatchState.version)) or 0


def test_create_import_list_and_export(session: Session, as_role: Callable[..., Staff]) -> None:
    senior = as_role(roles.SENIOR_ANALYST)
    name = bank_name()
    r = senior.post("/api/v1/banks", json={"name": name, "owner_organisation": "Internet Hotline Center",
                                           "source": "partner"})
    assert r.status_code == 201, r.text
    assert r.json()["created_by"] == senior.user.username and r.json()["live_entries"] == 0
    assert senior.post("/api/v1/banks", json={"name": name}).status_code == 409
    hs = hexes(3, 1)
    r = senior.upload(name, "\n".join(["# three hashes", *hs]).encode())
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 3 and r.json()["version"] == version(session)
    md5 = "0123456789abcdef0123456789abcdef"
    r = senior.upload(name, f"signal,hash,category,case_ref\nmd5,{md5},A1,HL-7\n".encode(), fmt="csv")
    assert r.json()["imported"] == 1
    listed = {b["name"]: b for b in senior.get("/api/v1/banks").json()}
    assert listed[name]["live_entries"] == 4 and listed[name]["source"] == "partner"

    analyst = as_role(roles.ANALYST)
    exported = analyst.get(f"/api/v1/banks/{name}/export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert f"md5,{md5},A1,HL-7" in exported.text and all(h in exported.text for h in hs)
    lines = analyst.get(f"/api/v1/banks/{name}/export", params={"format": "lines", "signal": "pdq"})
    assert lines.headers["content-type"].startswith("text/plain") and lines.text.split() == hs
    vic = analyst.get(f"/api/v1/banks/{name}/export", params={"format": "vic"})
    assert json.loads(vic.text)["value"] == [{"MD5": md5, "Category": "A1"}]
    session.expire_all()
    reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "read:match:bank:export",
                                                     AuditEvent.target == f"hash_bank:{name}")).all()
    assert [e.actor for e in reads] == [analyst.user.username] * 3
    changes = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == senior.user.username,
                                                              AuditEvent.action.startswith("match:"))
                              .order_by(AuditEvent.seq)).all()
    assert changes == ["match:bank:create", "match:bank:import", "match:bank:import"]


def test_a_bad_file_names_every_bad_line_and_stores_nothing(session: Session, as_role: Callable[..., Staff]) -> None:
    admin = as_role(roles.ADMINISTRATOR)
    name = bank_name()
    assert admin.post("/api/v1/banks", json={"name": name}).status_code == 201
    before = version(session)
    good = hexes(2, 2)
    r = admin.upload(name, f"{good[0]}\nnot-a-hash\n{good[1]}\n{good[1][:-1]}\n".encode())
    assert r.status_code == 422
    assert [(p["row"], p["field"]) for p in r.json()["problems"]] == [(2, "hash"), (4, "hash")]
    assert "not-a-hash" in r.json()["problems"][0]["reason"]
    assert stored(session, name) == 0 and version(session) == before
    bad_csv = admin.upload(name, b"hash,category\nzz,A1\n" + good[0].encode() + b",A1\n", fmt="csv")
    assert bad_csv.status_code == 422 and [p["row"] for p in bad_csv.json()["problems"]] == [2]
    assert admin.upload(name, b"", fmt="lines").status_code == 422  # no hashes at all
    wrong = admin.post(f"/api/v1/banks/{name}/import", files={"file": ("h.txt", good[0].encode())},
                       data={"format": "xlsx"})
    assert wrong.status_code == 422 and stored(session, name) == 0


def test_an_upload_over_5_mb_is_refused_whole(session: Session, as_role: Callable[..., Staff]) -> None:
    senior = as_role(roles.SENIOR_ANALYST)
    name = bank_name()
    senior.post("/api/v1/banks", json={"name": name})
    line = (hexes(1, 3)[0] + "\n").encode()
    big = line * (UPLOAD_LIMIT_BYTES // len(line) + 1)  # every line a good hash, just too many
    r = senior.upload(name, big)
    assert r.status_code == 413 and "5 MB" in r.json()["detail"]
    assert stored(session, name) == 0


def test_unknown_names_answer_404(as_role: Callable[..., Staff], make_user: Callable[..., Any]) -> None:
    admin = as_role(roles.ADMINISTRATOR)
    missing = bank_name()
    assert admin.upload(missing, hexes(1, 4)[0].encode()).status_code == 404
    assert admin.get(f"/api/v1/banks/{missing}/export").status_code == 404
    assert admin.get("/api/v1/banks/entries/987654321").status_code == 404
    assert admin.post("/api/v1/banks/entries/987654321/disable", json={"reason": "x"}).status_code == 404
    assert admin.post("/api/v1/banks/entries/987654321/enable").status_code == 404
    assert admin.put("/api/v1/banks/platforms/nobody-here", json={"banks": []}).status_code == 404
    platform = make_user(roles.PLATFORM)
    r = admin.put(f"/api/v1/banks/platforms/{platform.username}", json={"banks": [missing]})
    assert r.status_code == 404 and missing in r.json()["detail"]
    analyst = make_user(roles.ANALYST)  # only platform accounts have a choice of banks
    assert admin.put(f"/api/v1/banks/platforms/{analyst.username}", json={"banks": []}).status_code == 422


def test_who_may_do_what(session: Session, as_role: Callable[..., Staff], make_user: Callable[..., Any]) -> None:
    senior = as_role(roles.SENIOR_ANALYST)
    name = bank_name()
    senior.post("/api/v1/banks", json={"name": name})
    senior.upload(name, hexes(1, 5)[0].encode())
    entry_id = session.scalars(select(HashBankEntry.id).join(HashBank).where(HashBank.name == name)).one()
    platform = make_user(roles.PLATFORM)
    analyst, auditor = as_role(roles.ANALYST), as_role(roles.AUDITOR)
    for reader in (analyst, auditor):
        assert reader.get("/api/v1/banks").status_code == 200
        assert reader.get(f"/api/v1/banks/entries/{entry_id}").status_code == 200
        assert reader.post("/api/v1/banks", json={"name": bank_name()}).status_code == 403
        assert reader.upload(name, hexes(1, 6)[0].encode()).status_code == 403
        assert reader.post(f"/api/v1/banks/entries/{entry_id}/disable", json={"reason": "x"}).status_code == 403
    assert senior.put(f"/api/v1/banks/platforms/{platform.username}", json={"banks": [name]}).status_code == 403
    no_scope = as_role(roles.SENIOR_ANALYST, scopes=["blocklist"])
    refused = no_scope.get("/api/v1/banks")
    assert refused.status_code == 403 and "'banks'" in refused.json()["detail"]
    assert no_scope.post("/api/v1/banks", json={"name": bank_name()}).status_code == 403
    plat = as_role(roles.PLATFORM)
    assert plat.get("/api/v1/banks").status_code == 403
    assert senior.client.get("/api/v1/banks").status_code == 401
    assert stored(session, name) == 1


def test_an_entry_is_disabled_with_a_reason_and_enabled(session: Session, as_role: Callable[..., Staff]) -> None:
    senior = as_role(roles.SENIOR_ANALYST)
    name = bank_name()
    senior.post("/api/v1/banks", json={"name": name})
    h = hexes(1, 7)[0]
    senior.upload(name, f"hash,category,case_ref\n{h},B2,HL-9\n".encode(), fmt="csv")
    entry_id = session.scalars(select(HashBankEntry.id).join(HashBank).where(HashBank.name == name)).one()
    r = senior.get(f"/api/v1/banks/entries/{entry_id}")
    assert r.status_code == 200
    body = r.json()
    assert (body["bank"], body["hash"], body["category"], body["case_ref"], body["added_by"], body["disabled"]) == (
        name, h, "B2", "HL-9", senior.user.username, False)
    for blank in ({}, {"reason": ""}, {"reason": "   "}):
        assert senior.post(f"/api/v1/banks/entries/{entry_id}/disable", json=blank).status_code == 422
    r = senior.post(f"/api/v1/banks/entries/{entry_id}/disable", json={"reason": "not the image we meant"})
    assert r.status_code == 200
    assert (r.json()["disabled"], r.json()["disabled_by"], r.json()["disabled_reason"]) == (
        True, senior.user.username, "not the image we meant")
    assert {b["name"]: b for b in senior.get("/api/v1/banks").json()}[name]["live_entries"] == 0
    r = senior.post(f"/api/v1/banks/entries/{entry_id}/enable")
    assert r.status_code == 200 and r.json()["disabled"] is False and r.json()["disabled_reason"] == ""
    session.expire_all()
    events = session.scalars(select(AuditEvent).where(AuditEvent.target == f"hash_bank_entry:{entry_id}")
                             .order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["read:match:entry", "match:entry:disable", "match:entry:enable"]
    assert json.loads(events[1].detail)["reason"] == "not the image we meant"


def test_an_imported_hash_matches_for_the_platform_the_api_chose_it_for(
        client: Any, session: Session, as_role: Callable[..., Staff]) -> None:
    senior, admin = as_role(roles.SENIOR_ANALYST), as_role(roles.ADMINISTRATOR)
    plat = as_role(roles.PLATFORM)
    chosen, other = bank_name(), bank_name()
    for name, seed in ((chosen, 8), (other, 9)):
        senior.post("/api/v1/banks", json={"name": name})
        assert senior.upload(name, f"hash,category\n{hexes(1, seed)[0]},A1\n".encode(), fmt="csv").status_code == 201
    query = [flip(hexes(1, 8)[0], 10), hexes(1, 9)[0]]

    def match() -> list[list[dict[str, Any]]]:
        r = plat.post("/api/v1/match", json={"hashes": query})
        assert r.status_code == 200, r.text
        return [res["matches"] for res in r.json()["results"]]

    assert match() == [[], []]  # no choice yet: nothing matches
    r = admin.put(f"/api/v1/banks/platforms/{plat.user.username}",
                  json={"banks": [chosen, chosen], "show_labels": True})
    assert r.status_code == 200 and r.json() == {"platform": plat.user.username, "banks": [chosen],
                                                 "show_labels": True}
    first, second = match()
    assert [(m["bank"], m["distance"], m["category"]) for m in first] == [(chosen, 10, "A1")]
    assert second == []  # the other bank was not chosen
    entry_id = first[0]["entry_id"]
    assert senior.post(f"/api/v1/banks/entries/{entry_id}/disable", json={"reason": "withdrawn"}).status_code == 200
    assert match() == [[], []]
    assert admin.put(f"/api/v1/banks/platforms/{plat.user.username}", json={"banks": []}).status_code == 200
    assert plat.get("/api/v1/match/banks").json() == []
