"""A site cannot get itself delisted by answering the checker with 404 once: a removal counts only when
two checks at least 12 hours apart agree (a "present" answer in between starts over), and a URL that
reappeared once is removed again only when an analyst confirms (API and page, audited). The blocking
list follows confirmed removals only. The worker runs on a controlled clock (run_due(now=...))
against a local HTTP server standing in for the reported site."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.blocklist import service as blocklist
from mamoru.blocklist.models import BlocklistEntry
from mamoru.db import utcnow
from mamoru.hotline import intake, service, to_blocklist
from mamoru.hotline.automation import run_due
from mamoru.hotline.checker import CheckResult
from mamoru.hotline.models import HotlineCase
from mamoru.hotline.workflow import ServiceLevels

STAFF = sorted(roles.ROLE_SCOPES[roles.ANALYST])


def _listed_case(database: Any, runtime: Any, site: Any, make_user: Any) -> tuple[int, int, Any]:
    """A case forwarded abroad (removal checks begin at once), its URL confirmed on the blocking list."""
    analyst, senior = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    with database.session() as s:
        case = intake.submit(s, intake.ReportInput(url=site.url("/album/7")), "public", runtime.settings.levels).case
        service.assess(s, case, s.merge(analyst), "csam", legal_basis="child-pornography", hosting_country="NL")
        service.forward_abroad(s, case, s.merge(analyst), "Partner hotline")
        entry = to_blocklist.propose(s, s.merge(analyst), case)
        blocklist.confirm(s, s.merge(senior), entry.id)
        return case.id, entry.id, analyst


def _state(database: Any, case_id: int, entry_id: int) -> tuple[str, bool, str]:
    with database.session() as s:
        case, entry = s.get(HotlineCase, case_id), s.get(BlocklistEntry, entry_id)
        assert case is not None and entry is not None
        return case.status, case.removal_seen_at is not None, entry.status


def test_one_404_is_not_a_removal_two_12_hours_apart_are(database, runtime, reported_site, make_user,
                                                         definitions) -> None:  # type: ignore[no-untyped-def]
    case_id, entry_id, _ = _listed_case(database, runtime, reported_site, make_user)
    t0 = utcnow()

    def round_at(hours: float, status: int) -> Any:
        reported_site.status = status
        return run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=t0 + timedelta(hours=hours),
                       catch_up=True)  # catch_up: the list is synced every round, so nothing waits for a removal

    assert round_at(0, 200).checks == 1
    s = round_at(6, 404)
    assert (s.removed, s.delisted) == (0, 0)
    assert _state(database, case_id, entry_id) == ("removal_pending", True, "active"), "removal seen once, to confirm"
    round_at(12, 200)  # present in between: start over
    assert _state(database, case_id, entry_id) == ("removal_pending", False, "active")
    round_at(18, 404)
    s = round_at(24, 404)  # only 6 hours after the first "gone" of this run
    assert (s.removed, s.delisted) == (0, 0)
    assert _state(database, case_id, entry_id) == ("removal_pending", True, "active")
    s = round_at(30, 404)  # 12 hours after: confirmed, and the list follows in the same round
    assert (s.removed, s.delisted) == (1, 1)
    assert _state(database, case_id, entry_id) == ("removed", True, "removed")
    with database.session() as s2:
        case = s2.get(HotlineCase, case_id)
        assert case is not None and case.removal_confirmed_by == "checks"
        assert case.removed_at == case.removal_seen_at == t0 + timedelta(hours=18)  # gone since the first answer
        kinds = [e.kind for e in case.events]
    assert kinds.count("removal_seen") == 2 and "removal_not_confirmed" in kinds and kinds[-1] == "verified_removed"


def test_a_url_that_reappeared_is_removed_again_only_when_an_analyst_confirms(
        hl_client, database, runtime, reported_site, make_user, api_token, login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    case_id, entry_id, analyst = _listed_case(database, runtime, reported_site, make_user)
    senior = make_user(roles.SENIOR_ANALYST)
    t0 = utcnow()

    def round_at(hours: float, status: int) -> Any:
        reported_site.status = status
        return run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=t0 + timedelta(hours=hours),
                       catch_up=True)

    round_at(0, 404)
    round_at(12, 404)
    assert _state(database, case_id, entry_id) == ("removed", True, "removed")
    assert round_at(60, 200).reappeared == 1  # it comes back: reopened
    with database.session() as s:  # listed again (a case reopened after a removal may be proposed again)
        again = to_blocklist.propose(s, s.merge(analyst), str(case_id))
        blocklist.confirm(s, s.merge(senior), again.id)
        entry_id = again.id
    round_at(66, 404)
    s = round_at(78, 404)  # the checks agree ...
    assert (s.removed, s.delisted) == (0, 0)
    s = round_at(200, 404)  # ... and go on agreeing: still the analyst's call
    assert (s.removed, s.delisted) == (0, 0)
    assert _state(database, case_id, entry_id) == ("removal_pending", True, "active")

    h = {"Authorization": f"Bearer {api_token(analyst, STAFF)}"}
    case = hl_client.get(f"/api/v1/hotline/cases/{case_id}", headers=h).json()
    assert case["removal_awaits_analyst"] is True and case["reappearances"] == 1

    csrf = login_as(analyst)
    page = hl_client.get(f"/hotline/cases/{case_id}")
    assert 'data-state="awaits_analyst"' in page.text and 'id="confirm-removal-form"' in page.text
    assert "removal-mark" in hl_client.get("/hotline").text
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/removal-confirmation", headers=h,
                       json={"note": "looked in the secure environment: gone"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "removed" and r.json()["blocklist_entries_removed"] == [entry_id]
    assert r.json()["case"]["removal_confirmed_by"] == analyst.username
    assert _state(database, case_id, entry_id)[::2] == ("removed", "removed")
    with database.session() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "hotline:case:verified_removed",
                                                     AuditEvent.target == f"hotline:case:{case_id}",
                                                     AuditEvent.actor == analyst.username)).all()
        assert "looked in the secure environment" in event.detail
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/removal-confirmation", headers=h, json={})
    assert r.status_code == 409, "nothing left to confirm"
    r = hl_client.post(f"/hotline/cases/{case_id}/confirm-removal", data={"csrf_token": csrf})
    assert r.status_code == 409 and "確認するものはありません" in r.text  # in the page's language (issue 12)


def test_the_page_action_confirms_and_is_refused_before_the_checks_agree(
        hl_client, session, make_user, login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst = make_user(roles.ANALYST)
    t0 = datetime(2036, 5, 1, 3, tzinfo=UTC)
    case = intake.submit(session, intake.ReportInput(url="http://back.example.test/x"), "public", ServiceLevels(),
                         now=t0).case
    service.assess(session, case, analyst, "csam", legal_basis="child-pornography", hosting_country="NL", now=t0)
    service.forward_abroad(session, case, analyst, "Partner", now=t0)
    for hours, outcome in ((1, "removed"), (13, "removed"), (40, "present"), (41, "removed")):
        service.record_check(session, case, CheckResult(outcome, 404 if outcome == "removed" else 200), 6,
                             now=t0 + timedelta(hours=hours))
    session.commit()
    assert (case.status, case.reappearances, case.removal_agreed_at) == ("removal_pending", 1, None)
    csrf = login_as(analyst)
    r = hl_client.post(f"/hotline/cases/{case.id}/confirm-removal", data={"csrf_token": csrf, "note": "too early"})
    assert r.status_code == 409 and 'id="case-problems"' in r.text  # seen once only: nothing to confirm yet
    page = hl_client.get(f"/hotline/cases/{case.id}?lang=ja")
    assert 'data-state="seen_once"' in page.text and "削除を1回確認（確定待ち）" in page.text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d JST", page.text), "times in Japan time, the zone marked"
    service.record_check(session, case, CheckResult("removed", 404), 6, now=t0 + timedelta(hours=53))
    session.commit()
    r = hl_client.post(f"/hotline/cases/{case.id}/confirm-removal", data={"csrf_token": csrf, "note": "gone"},
                       follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    assert session.get(HotlineCase, case.id).status == "removed"  # type: ignore[union-attr]
