"""The case page speaks the reader's language throughout (issue 12): statuses, the history's steps,
removal checks' outcomes, deletion requests' kinds, quality assurance outcomes and the reasons of a
refused step are words, not codes such as `assess_actionable_domestic` or `present`."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.factories import hotline

import mamoru
from mamoru.db import utcnow
from mamoru.hotline import service as svc
from mamoru.hotline import vocabulary
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import CaseEvent, DeletionRequest, RemovalCheck
from mamoru.i18n import gettext
from mamoru.plan.models import DefinitionTerm

CODES = [code for table in ("status", "event", "check", "notice", "review") for code in vocabulary.TABLES[table]]
ENGLISH = [msgid for table in ("status", "verdict", "event", "check", "notice", "review", "source")
           for msgid in vocabulary.TABLES[table].values()]


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _rich_case(session: Session, make_user, definitions) -> int:  # type: ignore[no-untyped-def]
    """A case that went through assessment, referral, quality assurance, deletion requests of every
    kind, removal checks of every outcome, and holds an event of every kind the hotline records."""
    analyst = make_user("analyst", username="kensa")
    case = hotline.report(session, "http://history.example.test/page", content_type="image").case
    svc.assess(session, case, analyst, wf.CSAM, legal_basis=definitions[0], hosting_country="JP")
    svc.refer_to_police(session, case, analyst, police_unit="Cybercrime Division", reference="P-1")
    case.assessments[0].review_outcome = "upheld"
    case.assessments[0].reviewed_by = "senior"
    now = utcnow()
    for kind in vocabulary.NOTICE_KIND:
        session.add(DeletionRequest(case_id=case.id, at=now, kind=kind, to="abuse@example.test", language="ja",
                                    message_id=f"<{kind}@example.test>", delivered=True))
    for n, outcome in enumerate(vocabulary.CHECK_OUTCOME):
        session.add(RemovalCheck(case_id=case.id, at=now - timedelta(hours=n), outcome=outcome,
                                 status_code=200 if outcome == "present" else None))
    for kind in vocabulary.EVENT:
        session.add(CaseEvent(case_id=case.id, at=now, kind=kind, actor="system", from_status=wf.QUEUED,
                              to_status=wf.REMOVAL_PENDING))
    case.status = wf.REMOVAL_PENDING
    case.last_check_outcome = "present"
    session.commit()
    return case.id


def test_a_case_with_a_rich_history_reads_in_japanese(hl_client, session, make_user, login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    case_id = _rich_case(session, make_user, definitions)
    login_as(make_user("analyst"))
    r = hl_client.get(f"/hotline/cases/{case_id}?lang=ja")
    assert r.status_code == 200
    text = _visible_text(r.text)
    raw = [c for c in CODES if re.search(rf"(?<![A-Za-z_]){re.escape(c)}(?![A-Za-z_])", text)]
    english = [w for w in ENGLISH if w in text]
    assert raw == [] and english == [], (raw, english)
    # The assessment names its legal basis by the definition's title, not its code.
    title = session.scalar(select(DefinitionTerm.title_ja).where(DefinitionTerm.code == definitions[0]))
    assert definitions[0] not in text and title in text, title
    history = _visible_text(re.search(r'<ol class="events">(.*?)</ol>', r.text, re.S).group(1))  # type: ignore[union-attr]
    for kind, msgid in vocabulary.EVENT.items():
        assert gettext("ja", msgid) in history, kind
    assert gettext("ja", "Still there") in _visible_text(re.search(r'id="last-check">(.*?)</dd>', r.text, re.S).group(1))  # type: ignore[union-attr]


def test_the_english_page_names_steps_and_statuses_in_words(hl_client, session, make_user, login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    case_id = _rich_case(session, make_user, definitions)
    login_as(make_user("analyst"))
    text = _visible_text(hl_client.get(f"/hotline/cases/{case_id}?lang=en").text)
    assert "Assessed as illegal, hosted in Japan" in text and "assess_actionable_domestic" not in text
    assert "Still there" in text and "First request" in text and "Upheld" in text


def test_a_refused_step_is_explained_in_japanese(hl_client, session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    case_id = hotline.report(session, "http://refused.example.test/page").case_id
    csrf = login_as(make_user("analyst"))
    r = hl_client.post(f"/hotline/cases/{case_id}/refer?lang=ja", data={"police_unit": "X", "csrf_token": csrf})
    assert r.status_code == 409
    problems = _visible_text(re.search(r'id="case-problems">(.*?)</ul>', r.text, re.S).group(1))  # type: ignore[union-attr]
    assert "状態が「判定待ち」の事案では、この操作（警察へ情報提供）はできません" in problems, problems
    assert "queued" not in problems and "refer" not in problems
    r = hl_client.post(f"/hotline/cases/{case_id}/assess?lang=ja", data={"verdict": "csam", "hosting_country": "JPN",
                                                                        "csrf_token": csrf})
    assert r.status_code == 422
    problems = _visible_text(re.search(r'id="case-problems">(.*?)</ul>', r.text, re.S).group(1))  # type: ignore[union-attr]
    assert "法的根拠: 違法の判定には法的根拠（計画の定義）が必要です" in problems, problems
    assert "ホスティング国: JP のような2文字の国コードを入れてください" in problems, problems


def test_every_word_for_a_code_has_a_japanese_translation() -> None:
    missing = [msgid for table in vocabulary.TABLES.values() for msgid in table.values()
               if msgid != "—" and gettext("ja", msgid) == msgid]
    assert missing == []


def test_every_kind_of_event_the_hotline_records_has_a_word() -> None:
    """A new kind of case event without a label would show its code on the case page."""
    source = "\n".join(p.read_text() for p in (Path(mamoru.__file__).parent / "hotline").glob("*.py"))
    recorded = set(re.findall(r'_event\(session, case, "(\w+)"', source))
    recorded |= set(re.findall(r'CaseEvent\(.{0,200}?kind="(\w+)"', source, re.S))
    recorded |= set(re.findall(r'"(\w+)" if hold else "(\w+)"', source)[0])
    recorded |= {e for (_, e) in wf.TRANSITIONS}
    assert recorded - set(vocabulary.EVENT) == set()
    assert {"platform_match", "work_failed", "police_alerted", "removal_seen"} <= recorded
