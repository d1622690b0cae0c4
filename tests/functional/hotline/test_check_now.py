"""An analyst can ask for a removal check now (issue 12, journey 2) on the case page, through the API
and on the command line: the worker's checker and rules (it counts towards the two checks 12 hours
apart like any check), refused with the reason where a check makes no sense. Every check says why it
failed in the page's language, from a reason code stored with it; a failed deletion request's
delivery too; rows from before reason codes show the words they stored."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from tests.factories import hotline
from tests.functional.hotline.conftest import free_port

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.db import utcnow
from mamoru.hotline import intake, notices
from mamoru.hotline import service as svc
from mamoru.hotline.models import DeletionRequest, HotlineCase, RemovalCheck
from mamoru.i18n import gettext
from mamoru.mail import SmtpMailer

STAFF = sorted(roles.ROLE_SCOPES[roles.ANALYST])


def _waiting_for_removal(database: Any, runtime: Any, url: str, make_user: Any) -> tuple[int, Any]:
    """A case forwarded abroad: waiting for removal, checks due."""
    analyst = make_user(roles.ANALYST)
    with database.session() as s:
        case = intake.submit(s, intake.ReportInput(url=url), "public", runtime.settings.levels).case
        svc.assess(s, case, s.merge(analyst), "csam", legal_basis="child-pornography", hosting_country="NL")
        svc.forward_abroad(s, case, s.merge(analyst), "Partner hotline")
        return case.id, analyst


def test_check_now_on_the_page_counts_like_the_workers_and_says_what_it_found(
        hl_client, database, runtime, reported_site, make_user, login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    case_id, analyst = _waiting_for_removal(database, runtime, reported_site.url("/gone"), make_user)
    csrf = login_as(analyst)
    reported_site.status = 404
    r = hl_client.post(f"/hotline/cases/{case_id}/removal-check", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and "checked=" in r.headers["location"]
    page = hl_client.get(r.headers["location"].split("#")[0] + "&lang=ja").text
    result = page.split('id="check-result"')[1].split("</div>")[0]
    assert 'data-outcome="removed"' in result and gettext("ja", "Gone") in result and "HTTP 404" in result
    assert ("HEAD", "/gone") in reported_site.requests  # the site was asked, status line and headers only
    with database.session() as s:
        case = s.get(HotlineCase, case_id)
        assert case is not None and case.status == "removal_pending" and case.removal_seen_at is not None
        [row] = s.scalars(select(RemovalCheck).where(RemovalCheck.case_id == case_id)).all()
        assert row.by == analyst.username
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "hotline:case:check-now",
                                                  AuditEvent.actor == analyst.username)).first() is not None
    # A second "gone" at once does not verify the removal: the two checks must be 12 hours apart.
    hl_client.post(f"/hotline/cases/{case_id}/removal-check", data={"csrf_token": csrf})
    with database.session() as s:
        assert s.get(HotlineCase, case_id).status == "removal_pending"  # type: ignore[union-attr]
        s.get(HotlineCase, case_id).removal_seen_at = utcnow() - timedelta(hours=13)  # type: ignore[union-attr]
    hl_client.post(f"/hotline/cases/{case_id}/removal-check", data={"csrf_token": csrf})
    with database.session() as s:
        case = s.get(HotlineCase, case_id)
        assert case is not None and case.status == "removed" and case.removal_confirmed_by == "checks"


def test_check_now_is_refused_under_a_police_hold_and_before_referral(
        hl_client, database, runtime, reported_site, make_user, login_as, api_token, definitions) -> None:  # type: ignore[no-untyped-def]
    case_id, analyst = _waiting_for_removal(database, runtime, reported_site.url("/held"), make_user)
    with database.session() as s:
        svc.set_hold(s, s.get(HotlineCase, case_id), s.merge(analyst), True, "police asked")  # type: ignore[arg-type]
    csrf = login_as(analyst)
    page = hl_client.get(f"/hotline/cases/{case_id}").text
    assert 'id="check-now-form"' not in page  # no button where a check makes no sense
    r = hl_client.post(f"/hotline/cases/{case_id}/removal-check?lang=ja", data={"csrf_token": csrf})
    assert r.status_code == 403 and "警察から保留の要請がある事案です" in r.text
    with database.session() as s:
        fresh = intake.submit(s, intake.ReportInput(url=reported_site.url("/new")), "public", runtime.settings.levels).case
        fresh_id = fresh.id
    h = {"Authorization": f"Bearer {api_token(analyst, STAFF)}"}
    r = hl_client.post(f"/api/v1/hotline/cases/{fresh_id}/removal-checks", headers=h)
    assert r.status_code == 409 and "queued" in r.json()["detail"]
    r = hl_client.post(f"/hotline/cases/{fresh_id}/removal-check?lang=ja", data={"csrf_token": csrf})
    assert r.status_code == 409 and "削除確認の対象ではありません" in r.text and "判定待ち" in r.text
    assert reported_site.requests == []  # nothing was requested


def test_the_api_says_why_a_check_failed(hl_client, database, runtime, make_user, api_token, definitions) -> None:  # type: ignore[no-untyped-def]
    case_id, analyst = _waiting_for_removal(database, runtime, f"http://127.0.0.1:{free_port()}/nothing-listens",
                                            make_user)
    h = {"Authorization": f"Bearer {api_token(analyst, STAFF)}", "Accept-Language": "ja"}
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/removal-checks", headers=h)
    assert r.status_code == 201, r.text
    check = r.json()["check"]
    assert check["outcome"] == "error" and check["reason"] == "connection_refused"
    assert check["reason_text"].startswith("サーバが接続を拒否しました") and check["by"] == analyst.username


def test_each_failure_reads_in_the_pages_language_and_old_rows_keep_their_words(
        hl_client, session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    case = hotline.report(session, "http://reasons.example.test/page").case
    now = utcnow()
    session.add_all([
        RemovalCheck(case_id=case.id, at=now, outcome="error", reason="name_not_found",
                     reason_params={"host": "reasons.example.test"}, detail="the host name ... does not resolve"),
        RemovalCheck(case_id=case.id, at=now, outcome="error", reason="timeout", reason_params={"seconds": "10"}),
        RemovalCheck(case_id=case.id, at=now, outcome="refused", reason="refused_address",
                     reason_params={"host": "reasons.example.test", "address": "10.0.0.1"}),
        RemovalCheck(case_id=case.id, at=now, outcome="inconclusive", status_code=500, reason="http_status",
                     reason_params={"status": "500"}),
        RemovalCheck(case_id=case.id, at=now, outcome="inconclusive", reason="too_many_redirects",
                     reason_params={"limit": "5"}),
        RemovalCheck(case_id=case.id, at=now, outcome="error", detail="OldError: stored before reason codes"),
        DeletionRequest(case_id=case.id, at=now, kind="initial", to="abuse@example.test", language="ja",
                        message_id="<x@example.test>", delivered=False, error="SMTPRecipientsRefused: ...",
                        error_reason="recipient_refused", error_params={"to": "abuse@example.test"}),
    ])
    session.commit()
    login_as(make_user(roles.ANALYST))
    ja = hl_client.get(f"/hotline/cases/{case.id}?lang=ja").text
    for words in ("ホスト名 reasons.example.test の名前解決ができません", "10 秒以内に応答がありませんでした",
                  "公開されていないアドレス（10.0.0.1）", "HTTPステータス 500 からは", "リダイレクトが 5 回を超えました",
                  "OldError: stored before reason codes", "メールサーバが宛先 abuse@example.test を拒否しました",
                  "判定不能"):
        assert words in ja, words
    en = hl_client.get(f"/hotline/cases/{case.id}?lang=en").text
    assert "No answer within 10 seconds." in en and "The mail server refused the recipient abuse@example.test." in en


def test_a_failed_delivery_stores_why(session, make_user, runtime, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst = make_user(roles.ANALYST)
    case = hotline.report(session, "http://undelivered.example.test/page").case
    svc.assess(session, case, analyst, "csam", legal_basis=definitions[0], hosting_country="JP")
    svc.refer_to_police(session, case, analyst)
    provider = svc.add_provider(session, analyst, "Undelivered Hosting", "abuse@undelivered.example.test")
    svc.choose_provider(session, case, analyst, provider.id)
    nobody = SmtpMailer("127.0.0.1", free_port(), "hotline@example.test")  # nothing listens there
    row = notices.send_deletion_request(session, case, nobody, runtime.settings, analyst)
    assert not row.delivered and row.error_reason == "connection_refused" and row.error
    assert notices.mail_error_reason(smtplib.SMTPRecipientsRefused({"a@example.test": (550, b"no")}),
                                     "a@example.test") == ("recipient_refused", {"to": "a@example.test"})
    assert notices.mail_error_reason(ConnectionRefusedError(111, "refused"), "a@example.test")[0] == "connection_refused"
    assert notices.mail_error_reason(smtplib.SMTPDataError(554, b"rejected"), "a@example.test") == (
        "smtp_error", {"code": "554", "error": "rejected"})
    assert notices.mail_error_reason(TimeoutError(), "a@example.test")[0] == "timeout"


def test_the_command_line_checks_now_in_an_analysts_name(loaded_cli, reported_site) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    from mamoru.auth.service import get_user
    from mamoru.db import make_engine
    from mamoru.hotline.workflow import ServiceLevels
    from mamoru.plan.models import DefinitionTerm

    assert loaded_cli("user", "add", "cli-analyst", "--role", "analyst").exit_code == 0
    engine = make_engine(loaded_cli.env["MAMORU_DATABASE_URL"])
    with Session(engine) as s:
        analyst = get_user(s, "cli-analyst")
        assert analyst is not None
        case = intake.submit(s, intake.ReportInput(url=reported_site.url("/cli")), "public", ServiceLevels()).case
        svc.assess(s, case, analyst, "csam", legal_basis=s.scalars(select(DefinitionTerm.code)).first(),
                   hosting_country="NL")
        svc.forward_abroad(s, case, analyst, "Partner hotline")
        s.commit()
        case_id = case.id
    reported_site.status = 404
    loopback = {"MAMORU_HOTLINE_CHECK_ALLOW_LOOPBACK_FOR_TESTS": "1"}
    r = loaded_cli("hotline", "check-removal", f"C{case_id:07d}", "--as", "cli-analyst", env=loopback)
    assert r.exit_code == 0, r.output
    assert r.stdout.split("\t")[1:3] == ["removed", "404"] and "removal_pending" in r.stdout
    r = loaded_cli("hotline", "check-removal", str(case_id), "--as", "cli-analyst")  # loopback not allowed here
    assert r.exit_code == 0 and "\trefused\t" in r.stdout and "non-public address (127.0.0.1)" in r.stdout
    with Session(engine) as s:
        assert [c.by for c in s.scalars(select(RemovalCheck).where(RemovalCheck.case_id == case_id))] == \
            ["cli-analyst", "cli-analyst"]
    engine.dispose()
    assert loaded_cli("hotline", "check-removal", str(case_id)).exit_code != 0  # no analyst named: refused
