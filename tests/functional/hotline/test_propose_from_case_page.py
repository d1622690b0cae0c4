"""Proposing a case's URL for the blocking list from the case page says what happened and links to
the new entry, where a second person confirms it (issue 12)."""

from __future__ import annotations

import re

from sqlalchemy import select
from tests.factories import hotline

from mamoru.blocklist.models import BlocklistEntry
from mamoru.hotline import workflow as wf


def test_the_case_page_says_the_url_was_proposed_and_links_to_the_entry(hl_client, database, session, make_user,
                                                                         login_as) -> None:  # type: ignore[no-untyped-def]
    case = hotline.report(session, "http://listed.example.test/page").case
    case.verdict, case.status = wf.CSAM, wf.REMOVAL_PENDING
    session.commit()
    csrf = login_as(make_user("analyst"))
    r = hl_client.post(f"/hotline/cases/{case.id}/blocklist?lang=ja", data={"csrf_token": csrf}, follow_redirects=True)
    assert r.status_code == 200
    with database.session() as s:
        entry = s.scalars(select(BlocklistEntry).where(BlocklistEntry.case_ref == case.number)).one()
        assert entry.status == "proposed"
    done = re.search(r'id="blocklist-proposed">(.*?)</p>', r.text, re.S)
    assert done, "the page says nothing about the proposal"
    assert f"ブロッキングリストの項目 {entry.id} として提案しました" in done.group(1)
    assert f'href="/blocklist/entries/{entry.id}"' in done.group(1)
    assert hl_client.get(f"/blocklist/entries/{entry.id}").status_code == 200


def test_a_refused_proposal_says_why_in_the_page_language(hl_client, session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    case = hotline.report(session, "http://gone.example.test/page").case
    case.verdict, case.status = wf.CSAM, wf.REMOVED
    session.commit()
    csrf = login_as(make_user("analyst"))
    r = hl_client.post(f"/hotline/cases/{case.id}/blocklist?lang=ja", data={"csrf_token": csrf})
    assert r.status_code == 409
    assert f"ホットライン事案 {case.number}: ホットラインがコンテンツの削除を確認済みです" in r.text
    assert 'id="blocklist-proposed"' not in r.text
