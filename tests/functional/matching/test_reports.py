"""POST /api/v1/match/reports (issue 4): a platform reports a URL whose hashes match; the server
re-checks them against the platform's own banks at distance 31 at most, refuses when none matches,
and otherwise puts the report in the hotline's inbox (bank names and entry ids, no labels). The
hotline worker opens the case, which shows that a platform's match brought it. Audited."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.factories.matching import hexes, near, two_banks
from tests.settings_support import make_settings

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.db import Database
from mamoru.hotline import inbox
from mamoru.hotline.models import CaseEvent, InboxReport, Report
from mamoru.hotline.settings import HotlineSettings
from mamoru.mail import MemoryMailer
from mamoru.matching.models import HashBankEntry


@pytest.fixture()
def world(session: Session) -> dict[str, Any]:
    return two_banks(session, chosen="chosen", other="other", seeds=(41, 42), n=3, label="LABEL-A1", show_labels=True)


def report(client: Any, token: str, **body: Any) -> Any:
    return client.post("/api/v1/match/reports", json=body, headers={"Authorization": f"Bearer {token}"})


def _inbox(database: Database, receipt: str) -> InboxReport | None:
    with database.session() as s:
        return s.scalars(select(InboxReport).where(InboxReport.receipt == receipt)).first()


def test_a_matching_report_goes_to_the_inbox_with_the_matches_and_no_labels(
        client: Any, database: Database, world: dict[str, Any]) -> None:
    url = "http://platform.example.test/post/42"
    r = report(client, world["token"], url=url, hashes=[near(world["chosen"][0], 9), hexes(1, 43)[0]],
               note="uploaded twice; account suspended")
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt"]
    assert re.fullmatch(r"R\d{6}(-[0-9A-HJKMNP-TV-Z]{4}){4}", receipt)
    row = _inbox(database, receipt)
    assert row is not None and (row.source, row.url, row.description, row.contact) == (
        "platform", url, "uploaded twice; account suspended", "")
    with database.session() as s:
        entry_id = s.scalars(select(HashBankEntry.id).where(HashBankEntry.hash == world["chosen"][0])).one()
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "match:report")).all()[-1]
    assert row.matches == [{"bank": f"chosen-{world['tag']}", "entry_id": entry_id, "distance": 9}]
    assert row.platform_id == world["platform"].id and "LABEL" not in json.dumps(row.matches)
    assert event.actor == world["platform"].username and event.target == f"hotline:inbox:{receipt}"
    assert json.loads(event.detail) == {"hashes": 2, "entries": 1, "banks": [f"chosen-{world['tag']}"]}
    assert url not in event.detail


def test_no_match_in_the_platforms_own_banks_is_refused(client: Any, database: Database, world: dict[str, Any],
                                                        make_user: Callable[..., Any],
                                                        api_token: Callable[..., str]) -> None:
    url = "http://platform.example.test/nomatch"
    for hashes in ([hexes(1, 44)[0]], [world["other"][0]], [near(world["chosen"][1], 32)]):
        r = report(client, world["token"], url=url, hashes=hashes)
        assert r.status_code == 422 and "none of the hashes matches" in r.text, r.text
    assert report(client, world["token"], url=url, hashes=[world["chosen"][0]] * 101).status_code == 422
    assert report(client, world["token"], url=url, hashes=[]).status_code == 422
    bad = report(client, world["token"], url="javascript:alert(1)", hashes=[world["chosen"][0]])
    assert bad.status_code == 422 and "url" in bad.text
    analyst = make_user(roles.ANALYST)
    assert report(client, api_token(analyst, ["flagger"]), url=url, hashes=[world["chosen"][0]]).status_code == 403
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(InboxReport)) == 0


def test_the_drained_report_opens_a_case_that_shows_the_platform_match(
        client: Any, database: Database, world: dict[str, Any], make_user: Callable[..., Any], login_as: Any) -> None:
    url = "http://platform.example.test/opened"
    receipt = report(client, world["token"], url=url, hashes=[world["chosen"][2]]).json()["receipt"]
    summary = inbox.drain(database, HotlineSettings(), MemoryMailer())
    assert summary.drained == 1
    with database.session() as s:
        stored = s.scalars(select(Report).where(Report.receipt == receipt)).one()
        assert (stored.source, stored.flagger_id, stored.content_type) == ("platform", world["platform"].id, "image")
        assert stored.case.trusted
        event = s.scalars(select(CaseEvent).where(CaseEvent.case_id == stored.case_id,
                                                  CaseEvent.kind == "platform_match")).one()
        assert event.detail["receipt"] == receipt and event.actor == world["platform"].username
        case_id = stored.case_id
    login_as(make_user(roles.ANALYST))
    page = client.get(f"/hotline/cases/{case_id}?lang=en")
    assert page.status_code == 200
    matches = re.search(r'<ul id="platform-matches">(.*?)</ul>', page.text, re.S)
    assert matches and f"chosen-{world['tag']}" in matches.group(1) and receipt in matches.group(1)
    assert "Platform (hash match)" in page.text


def test_the_matcher_process_takes_reports(database: Database, tmp_path: Path, world: dict[str, Any]) -> None:
    from mamoru.web.app import create_app

    settings = make_settings(tmp_path, role="matcher")
    with TestClient(create_app(settings, database)) as c:
        r = report(c, world["token"], url="http://platform.example.test/matcher", hashes=[world["chosen"][1]])
        assert r.status_code == 201, r.text
    assert _inbox(database, r.json()["receipt"]) is not None
