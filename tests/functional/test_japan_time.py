"""Times people read are Japan time with the zone shown (mamoru stores UTC): the audit log, an
entry's versions, dates of moments, the follow-up report's date; all through mamoru.i18n."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from tests.factories import followup as ff

from mamoru import periods
from mamoru.auth import roles
from mamoru.followup import report
from mamoru.i18n import fmt_date, fmt_time_jst, lang_of

JST_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? JST")


def test_a_moment_is_shown_on_its_day_in_japan() -> None:
    late = datetime(2027, 3, 31, 16, 30, tzinfo=UTC)  # 1 April 01:30 in Japan
    assert fmt_date(late, "en") == "April 1, 2027" and fmt_date(late, "ja") == "2027年4月1日"
    assert fmt_time_jst(late) == "2027-04-01 01:30 JST"
    assert fmt_time_jst(late, seconds=True) == "2027-04-01 01:30:00 JST"


def test_text_in_one_language_is_marked_with_it() -> None:
    assert lang_of("Press figures citing NPA (児童買春事件等)") == "en"
    assert lang_of("警察庁の統計（NHK報道）") == "ja" and lang_of("NPA") == "en"


def test_audit_log_in_japan_time(client, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(make_user(roles.ADMINISTRATOR))
    page = client.get("/audit?lang=en")
    assert page.status_code == 200
    table = page.text.split("<table", 1)[1]
    assert JST_TIME.search(table) and " UTC" not in table, table[:600]


def test_entry_versions_in_japan_time(loaded, client, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    ff.reference(loaded)
    ff.reporting_round(loaded, years=(2023,))
    entry = ff.accepted_entry(loaded, ff.entry_code(loaded, "NPA"), "NPA", "取締りを強化した。")
    loaded.commit()
    login_as(make_user(roles.COORDINATOR))
    page = client.get(f"/followup/entries/{entry.id}?lang=en")
    assert page.status_code == 200
    versions = page.text.split("<table")[-1]
    assert JST_TIME.search(versions) and " UTC" not in versions, versions[:600]


def test_followup_report_is_dated_in_japan(loaded, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ff.reference(loaded)
    r = ff.reporting_round(loaded, years=(2023,))
    monkeypatch.setattr(periods, "today", lambda: date(2031, 4, 1))  # already 1 April in Japan
    assert report.build(loaded, r, "en").generated_on == date(2031, 4, 1)
