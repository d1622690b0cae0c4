"""The entry page says an entry's category and the reasons mamoru wrote in the reader's language
(it showed `csam` and "hotline case C…: csam (ホットライン事案 C…)"); a typed reason stays as typed."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.blocklist import from_cases, service


def _shown(html: str, element_id: str) -> str:
    m = re.search(rf'<dd id="{element_id}"[^>]*>(.*?)</dd>', html, re.DOTALL)
    assert m, html
    return m.group(1).strip()


def test_category_and_written_reasons_in_the_readers_language(session: Session, client, make_user,  # type: ignore[no-untyped-def]
                                                               login_as) -> None:
    a, b = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    number = f"C{secrets.randbelow(10**7):07d}"
    facts = from_cases.CaseFacts(number=number, url=f"http://words-{secrets.token_hex(3)}.example.test/a",
                                 illegal=True, removed=False, category="csam", verdict="csam")
    e = from_cases.propose_from_case(session, a, facts)
    service.confirm(session, b, e.id)
    service.content_removed(session, b, e.id)
    session.commit()
    login_as(a)
    ja = client.get(f"/blocklist/entries/{e.id}?lang=ja").text
    assert _shown(ja, "category") == "児童ポルノ（児童の性的虐待記録）"
    assert _shown(ja, "reason") == f"ホットライン事案 {number}（判定：児童ポルノ（児童の性的虐待記録））"
    assert _shown(ja, "closed-reason") == "ホットラインがコンテンツの削除を確認しました"
    assert "hotline case" not in ja and ">csam<" not in ja
    en = client.get(f"/blocklist/entries/{e.id}?lang=en").text
    assert _shown(en, "category") == "Child sexual abuse material"
    assert _shown(en, "reason") == f"Hotline case {number}, assessed as: Child sexual abuse material"
    assert _shown(en, "closed-reason") == "The hotline verified the content as removed"


def test_a_typed_reason_and_category_are_shown_as_typed(session: Session, client, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    a = make_user(roles.ANALYST)
    e = service.propose(session, a, "host", f"typed-{secrets.token_hex(3)}.example", "運営者が同一であることを確認",
                        category="grooming-forum")
    session.commit()
    login_as(a)
    ja = client.get(f"/blocklist/entries/{e.id}?lang=ja").text
    assert _shown(ja, "category") == "grooming-forum"
    assert re.search(r'<dd id="reason" lang="ja">運営者が同一であることを確認</dd>', ja), ja
