"""Times people read on the hotline's pages and in its mails are Japan time with the zone shown
(issue 12): a report received at 12:33 UTC reads "21:33 JST"; stored times stay UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from tests.factories import hotline

from mamoru.hotline import notices
from mamoru.hotline import service as svc
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import HotlineCase
from mamoru.hotline.settings import HotlineSettings
from mamoru.mail import MemoryMailer

RECEIVED = datetime(2026, 12, 2, 12, 33, tzinfo=UTC)  # 21:33 in Japan
SHOWN = "2026-12-02 21:33 JST"


def _case(session: Session, **fields: object) -> HotlineCase:
    case = hotline.report(session, "http://times.example.test/page", now=RECEIVED, **fields).case
    assert case.reports[0].received_at.astimezone(UTC) == RECEIVED  # stored as UTC
    return case


def test_case_page_and_queue_show_japan_time(hl_client, session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    case = _case(session)
    login_as(make_user("analyst"))
    page = hl_client.get(f"/hotline/cases/{case.id}?lang=ja").text
    assert SHOWN in page and "12:33" not in page
    due = (case.due_at.astimezone(UTC) + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M") + " JST"
    queue = hl_client.get("/hotline?lang=ja").text
    assert due in queue and " UTC" not in queue


def test_police_alert_and_deletion_requests_give_japan_time(session, make_user) -> None:  # type: ignore[no-untyped-def]
    hs = HotlineSettings(police_email="police@example.test")
    case = _case(session, immediate_danger=True)
    mailer = MemoryMailer()
    assert notices.alert_police(session, case, mailer, hs, now=RECEIVED)
    assert f"Received: {SHOWN}" in mailer.sent[0].body
    provider = svc.add_provider(session, None, "Example Hosting", "abuse@example.test", "ja")
    case.provider_id, case.status, case.first_notice_at = provider.id, wf.REMOVAL_PENDING, RECEIVED
    session.flush()
    session.refresh(case)
    mail = notices.compose_deletion_request(session, case, provider, "resend", hs)
    assert f"（再送：{SHOWN} にお送りした依頼" in mail.body and "UTC" not in mail.body
