"""From report to verified removal through the API, with a real local SMTP server and a local HTTP
server standing in for the reported site; police hold, re-sends, escalation, reappearance, and the
content rule (no request to the reported address during intake and assessment)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from tests.factories.hotline import STAFF_SCOPES

from mamoru.db import utcnow
from mamoru.hotline import figures
from mamoru.hotline.automation import run_due
from mamoru.hotline.models import HotlineCase, Report
from mamoru.hotline.tracing import import_ip_ranges
from mamoru.periods import fiscal_period


def _analyst(make_user, api_token, role="analyst"):  # type: ignore[no-untyped-def]
    user = make_user(role)
    return user, {"Authorization": f"Bearer {api_token(user, STAFF_SCOPES)}"}


def _report(client, headers, url, **extra):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/hotline/reports", json={"url": url, **extra}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _case_id(number: str) -> int:
    return int(number[1:])


def _provider(client, headers, **kw):  # type: ignore[no-untyped-def]
    body = {"name": "Loopback Hosting KK", "abuse_email": "abuse@hosting.example.test", "language": "ja",
            "networks": ["LOOPBACK-TEST"], **kw}
    assert client.post("/api/v1/hotline/providers", json=body, headers=headers).status_code == 201


def _assess_and_refer(client, headers, case_id, hold=False):  # type: ignore[no-untyped-def]
    r = client.post(f"/api/v1/hotline/cases/{case_id}/assessments", headers=headers,
                    json={"verdict": "csam", "legal_basis": "child-pornography", "hosting_country": "JP",
                          "severity": "b", "age_band": "prepubescent"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "referral_pending"
    r = client.post(f"/api/v1/hotline/cases/{case_id}/referral", headers=headers,
                    json={"police_unit": "Cybercrime Division", "reference": "P-1", "hold": hold})
    assert r.status_code == 200, r.text
    return r.json()


def test_report_to_verified_removal(hl_client, database, runtime, reported_site, smtp_server, make_user, api_token,
                                    definitions) -> None:  # type: ignore[no-untyped-def]
    analyst, h = _analyst(make_user, api_token)
    _provider(hl_client, h)
    url = reported_site.url("/gallery/1")
    case_id = _case_id(_report(hl_client, h, url, content_type="image")["case"])
    before = figures.compute(database.sessionmaker(), "fy")
    with database.session() as s:
        import_ip_ranges(s, (Path(__file__).parent / "ip-ranges.csv").read_text())
    traced = hl_client.post(f"/api/v1/hotline/cases/{case_id}/trace", headers=h).json()
    assert traced["trace"] == {"addresses": ["127.0.0.1"], "network": "LOOPBACK-TEST", "provider": "Loopback Hosting KK"}
    assert traced["hosting_country"] == "JP"
    assert _assess_and_refer(hl_client, h, case_id)["status"] == "notice_pending"
    assert reported_site.requests == [], "intake and assessment must not touch the reported address"
    # The confirmed URL goes on the blocking list (four eyes) ...
    from mamoru.auth import roles
    from mamoru.blocklist import service as blocklist
    from mamoru.hotline import to_blocklist

    with database.session() as s:
        number = s.get(HotlineCase, case_id).number
        entry_id = to_blocklist.propose(s, s.merge(analyst), number).id
        blocklist.confirm(s, s.merge(make_user(roles.SENIOR_ANALYST)), entry_id)

    summary = run_due(database, runtime.settings, runtime.mailer, runtime.checker)
    assert summary.notices == 1 and summary.checks == 1 and summary.delisted == 0
    [mail] = smtp_server.by_subject("削除依頼")
    assert mail["To"] == "abuse@hosting.example.test"
    assert url in mail.get_payload(decode=True).decode("utf-8")
    assert [m for m, _ in reported_site.requests] == ["HEAD"], "removal checks use HEAD and nothing else"

    reported_site.status = 404
    seen = utcnow() + timedelta(hours=7)
    summary = run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=seen, catch_up=False)
    assert (summary.checks, summary.removed, summary.delisted) == (1, 0, 0), "one answer is not a removal"
    case = hl_client.get(f"/api/v1/hotline/cases/{case_id}", headers=h).json()
    assert case["status"] == "removal_pending" and case["removal_seen_at"]
    later = seen + timedelta(hours=12)
    summary = run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=later, catch_up=False)
    assert summary.removed == 1  # a second check at least 12 hours later agrees
    # ... and leaves it in the same round, without anyone running `blocklist sync-removed`.
    assert summary.delisted == 1
    with database.session() as s:
        from mamoru.blocklist.models import BlocklistEntry

        assert s.get(BlocklistEntry, entry_id).status == "removed"
    case = hl_client.get(f"/api/v1/hotline/cases/{case_id}", headers=h).json()
    assert case["status"] == "removed" and case["removed_at"]
    fy = fiscal_period(utcnow())
    after = {f["period"]: f for f in hl_client.get("/api/v1/hotline/figures", headers=h).json()}[fy]
    old = {f["period"]: f for f in before}.get(fy, {"removed": 0})
    assert after["removed"] == old["removed"] + 1
    assert after["hours_to_removal_median"] is not None and after["removal_rate"] is not None

    # The site puts it back: the case reopens and a new deletion request goes out.
    reported_site.status = 200
    run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=later + timedelta(days=2))
    case = hl_client.get(f"/api/v1/hotline/cases/{case_id}", headers=h).json()
    assert case["status"] == "removal_pending" and case["reappearances"] == 1
    run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=later + timedelta(days=2, minutes=1))
    assert len(smtp_server.by_subject("削除依頼")) == 2


def test_police_hold_stops_every_automatic_action(hl_client, database, runtime, reported_site, smtp_server, make_user,
                                                  api_token, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst, h = _analyst(make_user, api_token)
    _provider(hl_client, h, domains=["127.0.0.1"])
    case_id = _case_id(_report(hl_client, h, reported_site.url("/held"))["case"])
    with database.session() as s:
        from mamoru.hotline.models import Provider

        s.get(HotlineCase, case_id).provider_id = s.scalars(select(Provider.id)).first()
    assert _assess_and_refer(hl_client, h, case_id, hold=True)["police_hold"] is True
    for days in (0, 1, 2, 10):
        summary = run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=utcnow() + timedelta(days=days))
        assert summary.total() == 0
    assert smtp_server.messages == [] and reported_site.requests == []
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/deletion-requests", headers=h)
    assert r.status_code == 403 and "hold" in r.json()["detail"]
    # Released: the deletion request goes out and checks begin.
    assert hl_client.post(f"/api/v1/hotline/cases/{case_id}/hold", headers=h,
                          json={"hold": False, "reason": "police cleared"}).status_code == 200
    summary = run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=utcnow() + timedelta(minutes=1))
    assert summary.notices == 1 and len(smtp_server.messages) == 1


def test_resend_every_day_then_escalate(database, runtime, reported_site, smtp_server, make_user, session,
                                        definitions) -> None:  # type: ignore[no-untyped-def]
    from mamoru.hotline import intake, service

    analyst = make_user("analyst")
    p = service.add_provider(session, analyst, "Overseas-free host", "abuse@host.example.test", "en")
    report = intake.submit(session, intake.ReportInput(url=reported_site.url("/stays")), "public", runtime.settings.levels)
    case = report.case
    case.provider_id = p.id
    service.assess(session, case, analyst, "csam", legal_basis="child-pornography", hosting_country="JP")
    service.refer_to_police(session, case, analyst)
    session.commit()
    start = utcnow()
    for day in range(0, 9):
        run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=start + timedelta(days=day, minutes=1))
    requests = [m for m in smtp_server.messages if m["To"] == "abuse@host.example.test"]
    assert len(requests) == 9, [m["Subject"] for m in requests]
    assert requests[0]["Subject"].startswith("Deletion request") and "In-Reply-To" not in requests[0]
    assert requests[1]["In-Reply-To"] == requests[0]["Message-ID"]
    assert "Reminder" in requests[1].get_payload(decode=True).decode()
    assert sum("Escalation" in m.get_payload(decode=True).decode() for m in requests) == 1
    assert smtp_server.by_subject("Escalation:"), "the escalation contact is told"


def test_no_request_to_reported_url_during_intake_and_assessment(hl_client, reported_site, make_user, api_token,
                                                                  login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    import re

    page = hl_client.get("/report")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    url = reported_site.url("/secret/image.jpg")
    r = hl_client.post("/report", data={"url": url, "content_type": "image", "csrf_token": token})
    assert r.status_code == 200 and 'id="receipt"' in r.text
    analyst, h = _analyst(make_user, api_token)
    [case] = [c for c in hl_client.get("/api/v1/hotline/queue", headers=h).json() if c["url"] == url]
    csrf = login_as(analyst)
    assert hl_client.get("/hotline").status_code == 200
    page = hl_client.get(f"/hotline/cases/{case['id']}")
    assert url in page.text and "<img" not in page.text and "<iframe" not in page.text
    r = hl_client.post(f"/hotline/cases/{case['id']}/assess", data={
        "verdict": "csam", "legal_basis": "child-pornography", "hosting_country": "JP", "csrf_token": csrf},
        follow_redirects=False)
    assert r.status_code == 303
    hl_client.post(f"/hotline/cases/{case['id']}/trace", data={"csrf_token": csrf})
    hl_client.get(f"/api/v1/hotline/cases/{case['id']}/referral.json", headers=h)
    assert reported_site.requests == []


def test_same_content_at_a_new_url_is_labelled_by_hash(hl_client, make_user, api_token, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst, h = _analyst(make_user, api_token)
    first = _case_id(_report(hl_client, h, "http://a.example.test/1.jpg")["case"])
    second = _case_id(_report(hl_client, h, "http://b.example.test/copy.jpg")["case"])
    pdq = "f" * 60 + "0000"
    near = "f" * 60 + "0003"  # two bits away
    assert hl_client.post(f"/api/v1/hotline/cases/{first}/hashes", headers=h, json={"algorithm": "pdq", "value": pdq}).status_code == 201
    hl_client.post(f"/api/v1/hotline/cases/{first}/assessments", headers=h,
                   json={"verdict": "csam", "legal_basis": "child-pornography", "hosting_country": "US"})
    r = hl_client.post(f"/api/v1/hotline/cases/{second}/hashes", headers=h, json={"algorithm": "pdq", "value": near})
    case = r.json()
    assert case["verdict"] == "csam" and case["status"] == "referral_pending"
    assert case["assessments"][-1]["kind"] == "automatic"
    queue = hl_client.get("/api/v1/hotline/queue", headers=h).json()
    assert second not in [c["id"] for c in queue]
    # An already-assessed URL reported again is labelled and not queued again.
    again = _report(hl_client, h, "HTTP://A.example.test:80/1.jpg")
    assert again["labelled"] == "csam" and _case_id(again["case"]) == first
    assert first not in [c["id"] for c in hl_client.get("/api/v1/hotline/queue", headers=h).json()]


def test_senior_analyst_overturns_with_reason(hl_client, make_user, api_token, session, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst, h = _analyst(make_user, api_token)
    senior, hs = _analyst(make_user, api_token, "senior_analyst")
    case_id = _case_id(_report(hl_client, h, "http://qa.example.test/x")["case"])
    a = hl_client.post(f"/api/v1/hotline/cases/{case_id}/assessments", headers=h,
                       json={"verdict": "not_illegal"}).json()["assessment"]
    assert hl_client.post(f"/api/v1/hotline/assessments/{a['id']}/review", headers=h, json={"upheld": True}).status_code == 403
    r = hl_client.post(f"/api/v1/hotline/assessments/{a['id']}/review", headers=hs, json={"upheld": False, "new_verdict": "csam"})
    assert r.status_code == 422, "overturning needs a reason"
    r = hl_client.post(f"/api/v1/hotline/assessments/{a['id']}/review", headers=hs,
                       json={"upheld": False, "new_verdict": "csam", "legal_basis": "child-pornography",
                             "reason": "the age markers were missed"})
    assert r.status_code == 200, r.text
    case = hl_client.get(f"/api/v1/hotline/cases/{case_id}", headers=hs).json()
    assert case["verdict"] == "csam" and case["status"] == "referral_pending"
    assert case["assessments"][0]["review"] == "overturned"
    assert case["assessments"][1]["kind"] == "qa_overturn"


def test_abroad_is_forwarded_and_tracked(hl_client, database, runtime, reported_site, make_user, api_token,
                                         definitions) -> None:  # type: ignore[no-untyped-def]
    analyst, h = _analyst(make_user, api_token)
    case_id = _case_id(_report(hl_client, h, reported_site.url("/abroad"))["case"])
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/assessments", headers=h,
                       json={"verdict": "csam", "legal_basis": "child-pornography", "hosting_country": "NL"})
    assert r.json()["case"]["status"] == "forward_pending"
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/forward", headers=h, json={"partner": "Meldpunt (NL)", "reference": "NL-9"})
    assert r.json()["status"] == "removal_pending"
    record = hl_client.get(f"/api/v1/hotline/cases/{case_id}/referral.json", headers=h).json()
    assert record["partner_forwards"][0]["partner"] == "Meldpunt (NL)"
    reported_site.status = 410
    assert run_due(database, runtime.settings, runtime.mailer, runtime.checker).removed == 0  # seen once
    assert run_due(database, runtime.settings, runtime.mailer, runtime.checker,
                   now=utcnow() + timedelta(hours=12)).removed == 1


def test_child_in_danger_goes_first_and_alerts_police(hl_client, database, smtp_server, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    import re

    analyst, h = _analyst(make_user, api_token)
    _report(hl_client, h, "http://old.example.test/a", content_type="video")
    page = hl_client.get("/report")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    hl_client.post("/report", data={"url": "http://urgent.example.test/live", "immediate_danger": "1", "csrf_token": token})
    queue = hl_client.get("/api/v1/hotline/queue", headers=h).json()
    assert queue[0]["url"] == "http://urgent.example.test/live" and queue[0]["immediate_danger"]
    assert [c["url"] for c in queue].index("http://old.example.test/a") > 0
    [alert] = smtp_server.by_subject("immediate danger")
    assert alert["To"] == "police@example.test" and "urgent.example.test" in alert.get_payload(decode=True).decode()
    with database.session() as s:
        assert s.scalars(select(Report).where(Report.url == "http://urgent.example.test/live")).one().source == "public"


def test_assignment_and_qa_sample(hl_client, make_user, api_token, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst, h = _analyst(make_user, api_token)
    senior, hs = _analyst(make_user, api_token, "senior_analyst")
    case_id = _case_id(_report(hl_client, h, "http://assign.example.test/1")["case"])
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/assign", headers=hs, json={"username": analyst.username})
    assert r.json()["assigned_to"] == analyst.username
    assert hl_client.post(f"/api/v1/hotline/cases/{case_id}/assign", headers=hs,
                          json={"username": senior.username + "-nobody"}).status_code == 404
    hl_client.post(f"/api/v1/hotline/cases/{case_id}/assessments", headers=h, json={"verdict": "harmful"})
    sample = hl_client.get("/api/v1/hotline/qa/sample?size=200", headers=hs).json()
    assert case_id in [a["case_id"] for a in sample]
    assert hl_client.get("/api/v1/hotline/qa/sample", headers=h).status_code == 403
