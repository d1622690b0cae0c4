"""Reporters' contacts through the doors: sealed when the public form or a flagger sends them, opened
(and the opening audited) where an analyst views the case, cleared by the worker after the retention
period, and rows from before sealing began read as "plain" until the worker seals them."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, text
from tests.factories.hotline import STAFF_SCOPES

from mamoru.audit import AuditEvent
from mamoru.db import utcnow
from mamoru.hotline.automation import run_due
from mamoru.hotline.contacts import ContactCipher, seal_stored, view
from mamoru.hotline.models import Report

CONTACT = "reporter-form@example.test"


def _raw_contacts(database) -> list[str]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return [str(v) for v in s.execute(text("SELECT contact FROM hl_reports")).scalars()]


def _audit(database, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_form_and_flagger_contacts_are_sealed_and_opened_for_the_analyst(hl_client, database, make_user,
                                                                         api_token) -> None:  # type: ignore[no-untyped-def]
    page = hl_client.get("/report")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = hl_client.post("/report", data={"url": "http://contact.example.test/a", "contact": CONTACT, "csrf_token": token})
    assert r.status_code == 200
    analyst = make_user("analyst")
    h = {"Authorization": f"Bearer {api_token(analyst, STAFF_SCOPES)}"}
    r = hl_client.post("/api/v1/hotline/reports/batch", headers=h, json={"reports": [
        {"url": "http://contact.example.test/a", "contact": "flagger-desk@example.test"},
        {"url": "http://contact.example.test/a", "description": "no contact given"}]})
    assert r.status_code == 201, r.text
    raw = " ".join(_raw_contacts(database))
    assert "example.test" not in raw and raw.count("hlc2:") == 2

    case_id = int(r.json()[0]["case"][1:])
    case = hl_client.get(f"/api/v1/hotline/cases/{case_id}", headers=h).json()
    assert [(x["contact"], x["contact_state"]) for x in case["reports"]] == [
        (CONTACT, "sealed"), ("flagger-desk@example.test", "sealed"), ("", "none")]
    opened = _audit(database, "read:hotline:report:contact")
    assert opened[-1].actor == analyst.username and json.loads(opened[-1].detail) == {"contacts": 2}
    assert "example.test" not in opened[-1].detail


def test_token_scopes_decide_what_of_a_case_an_analyst_token_reads_and_changes(hl_client, database, make_user,
                                                                              api_token) -> None:  # type: ignore[no-untyped-def]
    """The security issue's case: a token created with only plan:read read the case with the reporter's
    contact in clear and closed it by assessing. Now it is refused both; hotline:read reads the case
    with the contacts withheld (not opened, nothing audited); hotline:contact opens them; writing
    needs hotline:write."""
    analyst = make_user("analyst")
    flagger = {"Authorization": f"Bearer {api_token(analyst, ['flagger'])}"}
    r = hl_client.post("/api/v1/hotline/reports", headers=flagger, json={"url": "http://scoped.example.test/", "contact": CONTACT})
    assert r.status_code == 201, r.text
    case_id = int(r.json()["case"][1:])
    url = f"/api/v1/hotline/cases/{case_id}"
    assessment = {"verdict": "not_illegal", "legal_basis": "", "hosting_country": "JP"}

    def bearer(*scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(analyst, list(scopes))}"}

    plan_only = bearer("plan:read")
    for method, path, body in (("GET", url, None), ("POST", f"{url}/assessments", assessment),
                               ("GET", "/api/v1/hotline/queue", None), ("GET", f"{url}/referral.json", None)):
        r = hl_client.request(method, path, headers=plan_only, json=body)
        assert r.status_code == 403 and "hotline:" in r.json()["detail"], (path, r.text)
    assert CONTACT not in r.text
    reader = bearer("hotline:read")
    case = hl_client.get(url, headers=reader).json()
    assert [(x["contact"], x["contact_state"]) for x in case["reports"]] == [("", "withheld")]
    assert _audit(database, "read:hotline:report:contact") == []  # nothing was opened
    r = hl_client.post(f"{url}/assessments", headers=reader, json=assessment)
    assert r.status_code == 403 and "hotline:write" in r.json()["detail"]
    with database.session() as s:
        assert s.scalar(text("SELECT status FROM hl_cases WHERE id = :i"), {"i": case_id}) == case["status"]

    case = hl_client.get(url, headers=bearer("hotline:read", "hotline:contact")).json()
    assert [(x["contact"], x["contact_state"]) for x in case["reports"]] == [(CONTACT, "sealed")]
    assert len(_audit(database, "read:hotline:report:contact")) == 1
    r = hl_client.post(f"{url}/assessments", headers=bearer("hotline:write"), json=assessment)
    assert r.status_code == 200, r.text
    figures = hl_client.get("/api/v1/hotline/figures", headers=bearer("hotline:read"))
    assert figures.status_code == 403 and "hotline:figures" in figures.json()["detail"]
    assert hl_client.get("/api/v1/hotline/figures", headers=bearer("hotline:figures")).status_code == 200


def test_worker_clears_contacts_past_the_retention(hl_client, database, runtime, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    analyst = make_user("analyst")
    h = {"Authorization": f"Bearer {api_token(analyst, STAFF_SCOPES)}"}
    r = hl_client.post("/api/v1/hotline/reports", headers=h, json={"url": "http://old.example.test/", "contact": CONTACT})
    case_id = int(r.json()["case"][1:])
    hs = replace(runtime.settings, contact_retention_days=30)
    summary = run_due(database, hs, runtime.mailer, runtime.checker, now=utcnow() + timedelta(days=29))
    assert summary.contacts_purged == 0 and "hlc2:" in " ".join(_raw_contacts(database))
    summary = run_due(database, hs, runtime.mailer, runtime.checker, now=utcnow() + timedelta(days=31))
    assert summary.contacts_purged == 1 and "hlc2:" not in " ".join(_raw_contacts(database))
    report = hl_client.get(f"/api/v1/hotline/cases/{case_id}", headers=h).json()["reports"][0]
    assert (report["contact"], report["contact_state"]) == ("", "purged") and report["contact_purged_at"]
    purge = _audit(database, "hotline:contacts:purge")[-1]
    assert json.loads(purge.detail)["purged"] == 1 and "example.test" not in purge.detail


def test_plain_rows_from_before_sealing_are_marked_then_sealed(session) -> None:  # type: ignore[no-untyped-def]
    from mamoru.hotline import intake
    from mamoru.hotline import workflow as wf

    old_key, new_key = ContactCipher.generate(), ContactCipher.generate()
    plain = intake.submit(session, intake.ReportInput(url="http://legacy.example.test/1"), "public", wf.ServiceLevels())
    plain.contact, plain.contact_kept_since = "legacy@example.test", plain.received_at  # as hl0002 leaves it
    older = intake.submit(session, intake.ReportInput(url="http://legacy.example.test/2", contact="older@example.test"),
                          "public", wf.ServiceLevels(), contacts=old_key)
    session.flush()
    rotated = ContactCipher(new_key.keys + old_key.keys)
    assert view(rotated, plain).state == "plain" and view(rotated, plain).text == "legacy@example.test"

    summary = seal_stored(session, rotated)
    assert (summary.sealed, summary.resealed, summary.unreadable) == (1, 1, 0)
    assert [view(new_key, r).text for r in (plain, older)] == ["legacy@example.test", "older@example.test"]
    assert not any("example.test" in r.contact for r in (plain, older))
    assert seal_stored(session, rotated) == type(summary)()  # nothing left: nothing done
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "hotline:contacts:seal")).one()
    assert json.loads(event.detail) == {"sealed": 1, "resealed": 1, "unreadable": 0, "key": new_key.key_id}
    assert session.scalar(select(Report.contact).where(Report.id == plain.id)).startswith(f"hlc2:{new_key.key_id}:")
