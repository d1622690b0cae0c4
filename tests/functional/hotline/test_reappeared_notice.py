"""When removed content reappears, the deletion request sent again says so (issue 12, journey 2): a
kind of its own ("reappeared"), in both languages' templates, naming when it had been removed; the
case history shows the reappearance in words. The worker runs on a controlled clock against a local
HTTP server standing in for the reported site and a local SMTP server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mamoru.auth import roles
from mamoru.db import utcnow
from mamoru.hotline import intake, notices
from mamoru.hotline import service as svc
from mamoru.hotline.automation import run_due
from mamoru.hotline.models import DeletionRequest, HotlineCase, Provider
from mamoru.i18n import fmt_time_jst


def _referred(database: Any, runtime: Any, url: str, make_user: Any, language: str) -> tuple[int, Any]:
    analyst = make_user(roles.ANALYST)
    with database.session() as s:
        case = intake.submit(s, intake.ReportInput(url=url), "public", runtime.settings.levels).case
        svc.assess(s, case, s.merge(analyst), "csam", legal_basis="child-pornography", hosting_country="JP")
        provider = svc.add_provider(s, None, f"Back Hosting {language}", f"abuse-{language}@back.example.test", language)
        svc.choose_provider(s, case, s.merge(analyst), provider.id)
        svc.refer_to_police(s, case, s.merge(analyst))
        return case.id, analyst


def test_the_request_after_a_reappearance_says_the_content_reappeared(
        hl_client, database, runtime, reported_site, smtp_server, make_user, login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    case_id, analyst = _referred(database, runtime, reported_site.url("/back"), make_user, "ja")
    t0 = utcnow()

    def round_at(hours: float, status: int) -> Any:
        reported_site.status = status
        return run_due(database, runtime.settings, runtime.mailer, runtime.checker, now=t0 + timedelta(hours=hours))

    assert round_at(0, 200).notices == 1  # the first request, and a check: still there
    round_at(6, 404)  # gone once
    assert round_at(18, 404).removed == 1  # gone 12 hours later: removed since hour 6
    assert round_at(43, 200).reappeared == 1
    assert round_at(44, 200).notices == 1
    with database.session() as s:
        kinds = list(s.scalars(select(DeletionRequest.kind).where(DeletionRequest.case_id == case_id)
                               .order_by(DeletionRequest.id)))
    assert kinds == ["initial", "reappeared"]
    first, again = [m for m in smtp_server.messages if "abuse-ja@back.example.test" in str(m["To"])]
    assert "再掲載" not in str(first["Subject"]) and "再掲載" in str(again["Subject"])
    body = again.get_body().get_content()  # type: ignore[union-attr]
    assert "再び掲載されています" in body and fmt_time_jst(t0 + timedelta(hours=6)) in body
    assert again["In-Reply-To"] == first["Message-ID"]  # the same thread as the first request

    login_as(analyst)
    page = hl_client.get(f"/hotline/cases/{case_id}?lang=ja").text
    history = page.split('<ol class="events">')[1].split("</ol>")[0]
    assert "コンテンツが再掲載された" in history and "に削除を確認していました" in history
    assert 'data-kind="reappeared"' in history and ">reappeared<" not in history
    assert "再掲載のため再依頼" in page.split('id="deletion-requests"')[1].split("</table>")[0]


def test_the_english_template_says_it_too(database, runtime, make_user, definitions) -> None:  # type: ignore[no-untyped-def]
    case_id, _ = _referred(database, runtime, "http://back-en.example.test/page", make_user, "en")
    removed = utcnow() - timedelta(days=3)
    with database.session() as s:
        case = s.get(HotlineCase, case_id)
        provider = s.scalars(select(Provider).where(Provider.name == "Back Hosting en")).one()
        assert case is not None
        mail = notices.compose_deletion_request(s, case, provider, "reappeared", runtime.settings, removed)
        resend = notices.compose_deletion_request(s, case, provider, "resend", runtime.settings)
    assert "reappeared" in mail.subject and "reappeared" in mail.body and fmt_time_jst(removed) in mail.body
    assert "reappeared" not in resend.subject + resend.body
