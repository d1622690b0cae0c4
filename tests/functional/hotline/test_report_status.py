"""A reporter looks her report up with its receipt (issue 12, journey 1): /report/status and
POST /api/v1/report/status in the intake process. One of three words with what it means, received
while the report waits in the inbox, and nothing else of the report; one neutral answer for a
receipt that names nothing; lookups rate limited per client; Japanese and English. On PostgreSQL
the answer comes from hl_receipt_status (migration hl0007), which must agree with
hotline.workflow.public_status on every status."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.factories import hotline as hotline_factory

from mamoru.auth import roles
from mamoru.hotline import inbox, receipts
from mamoru.hotline import service as svc
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import HotlineCase, Report
from mamoru.hotline.runtime import HotlineRuntime

JA_WORDS = {"received": "受付済み", "assessed": "判定済み", "acted_on": "対応済み"}
EN_WORDS = {"received": "Received", "assessed": "Assessed", "acted_on": "Acted on"}


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _report(client: Any, url: str) -> str:
    r = client.post("/report", data={"url": url, "csrf_token": _csrf(client.get("/report").text)})
    assert r.status_code == 200, r.text[:300]
    assert 'href="/report/status"' in r.text  # the receipt page leads to the lookup
    return re.search(r'id="receipt">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]


def _look_up(client: Any, receipt: str, lang: str = "ja") -> Any:
    token = _csrf(client.get(f"/report/status?lang={lang}").text)
    return client.post(f"/report/status?lang={lang}", data={"receipt": receipt, "csrf_token": token})


def _word(html: str) -> str | None:
    found = re.search(r'id="status-word">([^<]+)<', html)
    return found.group(1) if found else None


def test_new_receipts_carry_80_random_bits_and_old_ones_still_resolve() -> None:
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    drawn = {receipts.new_receipt(now) for _ in range(2000)}
    assert len(drawn) == 2000
    for r in drawn:
        assert re.fullmatch(r"R261202(-[0-9A-HJKMNP-TV-Z]{4}){4}", r), r
        assert receipts.normalise(r) == r
    sample = next(iter(drawn))
    assert receipts.normalise(" " + sample.lower().replace("-", "") + " ") == sample  # typed without dashes
    assert receipts.normalise(sample.translate(str.maketrans("0123456789R-", "０１２３４５６７８９Ｒ－"))) == sample
    assert receipts.normalise("r261202-00O1-IL11-0000-0000") == "R261202-0001-1111-0000-0000"  # misread letters
    assert receipts.normalise("R261130-1A2B3C4D") == "R261130-1A2B3C4D"  # a receipt from before hl0007
    for junk in ("", "R", "R261202", "R261202-ABCD", "R261202-UUUU-UUUU-UUUU-UUUU", "x" * 100, "' OR 1=1 --"):
        assert receipts.normalise(junk) is None, junk


@pytest.mark.parametrize("status", wf.STATUSES)
@pytest.mark.parametrize("hold", [False, True])
def test_the_database_gives_the_workflows_word_for_every_status(session: Session, status: str, hold: bool) -> None:
    """On PostgreSQL hl_receipt_status answers; it must say what workflow.public_status says."""
    made = hotline_factory.report(session)
    case = session.get(HotlineCase, made.case_id)
    assert case is not None
    case.status, case.police_hold = status, hold
    session.commit()
    assert receipts.public_status(session, made.receipt) == wf.public_status(status, hold)
    assert receipts.public_status(session, made.receipt.lower()) == wf.public_status(status, hold)


def test_the_status_follows_the_report_from_the_inbox_to_action(intake_client: Any, database: Any, session: Session,
                                                                runtime: HotlineRuntime, make_user: Any,
                                                                definitions: list[str]) -> None:
    receipt = _report(intake_client, "http://status-journey.example.test/page")
    assert re.fullmatch(r"R\d{6}(-[0-9A-HJKMNP-TV-Z]{4}){4}", receipt)
    r = _look_up(intake_client, receipt)
    assert r.status_code == 200 and _word(r.text) == "受付済み"  # still in the inbox
    assert "分析員による判定はまだ行われていません" in r.text
    inbox.drain(database, runtime.settings, runtime.mailer)
    assert _word(_look_up(intake_client, receipt).text) == "受付済み"  # in the queue now

    analyst = make_user(roles.ANALYST)
    report = session.query(Report).filter(Report.receipt == receipt).one()
    case = report.case
    svc.assess(session, case, analyst, wf.CSAM, legal_basis=definitions[0], hosting_country="JP")
    session.commit()
    r = _look_up(intake_client, receipt)
    assert _word(r.text) == "判定済み" and "判定の内容はこのページではお伝えしません" in r.text
    svc.refer_to_police(session, case, analyst, police_unit="test unit")
    session.commit()
    r = _look_up(intake_client, receipt, "en")
    assert r.status_code == 200 and _word(r.text) == "Acted on"
    assert "passed on for action" in r.text
    page = r.text
    for secret in ("status-journey.example.test", case.number, "csam", "test unit", "police_unit"):
        assert secret not in page, secret  # one word and its meaning: nothing else of the report
    api = intake_client.post("/api/v1/report/status?lang=ja", json={"receipt": receipt})
    assert api.status_code == 200
    assert api.json() == {"status": "acted_on", "meaning": "このアドレスは対応のために引き渡されました（警察、海外の提携"
                                                           "ホットライン、または削除依頼としてサイトの運営者へ）。"}


def test_a_police_hold_shows_assessed_not_acted_on(intake_client: Any, session: Session, make_user: Any,
                                                   definitions: list[str]) -> None:
    made = hotline_factory.report(session)
    analyst = make_user(roles.ANALYST)
    case = session.get(HotlineCase, made.case_id)
    assert case is not None
    svc.assess(session, case, analyst, wf.CSAM, legal_basis=definitions[0], hosting_country="JP")
    svc.refer_to_police(session, case, analyst, hold=True)
    session.commit()
    assert _word(_look_up(intake_client, made.receipt, "en").text) == "Assessed"


def test_an_unknown_receipt_gets_one_neutral_answer_in_the_pages_language(intake_client: Any) -> None:
    rt = intake_client.app.state.public_form_runtime
    rt.settings = replace(rt.settings, status_rate=(100, 600))  # twelve lookups here
    answers = set()
    for typed in ("R261202-ABCD-EFGH-JKMN-PQRS", "R261130-00000000", "not a receipt", ""):
        ja = _look_up(intake_client, typed)
        assert ja.status_code == 404 and _word(ja.text) is None
        assert "この受付番号の通報はありません。" in ja.text
        answers.add(re.sub(r'value="[^"]*"', "", ja.text))
        en = _look_up(intake_client, typed, "en")
        assert en.status_code == 404 and "There is no report with this receipt number." in en.text
        api = intake_client.post("/api/v1/report/status?lang=en", json={"receipt": typed})
        assert (api.status_code, api.json()) == (404, {"detail": "There is no report with this receipt number."})
    assert len(answers) == 1  # the same page whatever was typed (the typed text aside)


def test_the_page_form_is_japanese_first_and_english_on_request(intake_client: Any) -> None:
    ja = intake_client.get("/report/status", headers={"Accept-Language": "ja"})
    assert ja.status_code == 200 and '<html lang="ja">' in ja.text
    assert "通報の状況" in ja.text and "受付番号" in ja.text and 'name="receipt"' in ja.text
    en = intake_client.get("/report/status?lang=en")
    assert "Your report&#39;s status" in en.text and "Receipt number" in en.text


def test_lookups_are_rate_limited_per_client(intake_client: Any, runtime: HotlineRuntime) -> None:
    limit, _ = runtime.settings.status_rate
    for _ in range(limit):
        assert _look_up(intake_client, "R261202-ABCD-EFGH-JKMN-PQRS").status_code == 404
    r = _look_up(intake_client, "R261202-ABCD-EFGH-JKMN-PQRS")
    assert r.status_code == 429 and "照会が多すぎます" in r.text
    api = intake_client.post("/api/v1/report/status?lang=en", json={"receipt": "R261202-ABCD-EFGH-JKMN-PQRS"})
    assert api.status_code == 429 and "Too many lookups" in api.json()["detail"]
    other = intake_client.post("/api/v1/report/status", json={"receipt": "R261202-ABCD-EFGH-JKMN-PQRS"},
                               headers={"X-Forwarded-For": "198.51.100.9"})
    assert other.status_code == 429  # an untrusted client cannot name another address to get more
    # the report form keeps its own counter: lookups do not use up a reporter's reports
    assert intake_client.post("/report", data={"url": "http://after-lookups.example.test/",
                                               "csrf_token": _csrf(intake_client.get("/report").text)}).status_code == 200


def test_the_intake_documents_the_lookup_in_its_openapi(intake_client: Any) -> None:
    spec = intake_client.get("/api/v1/openapi.json").json()
    op = spec["paths"]["/api/v1/report/status"]["post"]
    assert {"200", "404", "429"} <= set(op["responses"])
    assert "/report/status" not in spec["paths"]  # the page is not an API operation
