"""The audit log page (/audit) speaks the reader's language: each event's kind in words with its
recorded tag beside it in small type, its detail as "field: value" lines with the fields named in
words, in Japanese and English."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.blocklist import service


def _rows(html: str) -> dict[str, tuple[str, list[str]]]:
    """tag -> (words, detail lines) of the newest event of each tag on the page."""
    rows: dict[str, tuple[str, list[str]]] = {}
    for m in re.finditer(r'<tr data-action="([^"]+)">.*?<span class="label">([^<]+)</span>.*?<code[^>]*>([^<]+)</code>'
                         r'.*?<td class="pairs">(.*?)</td></tr>', html, re.DOTALL):
        assert m.group(1) == m.group(3)  # the recorded tag stays visible
        lines = [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li>(.*?)</li>", m.group(4))]
        rows.setdefault(m.group(1), (m.group(2), lines))
    return rows


def test_the_audit_log_in_words(session: Session, client, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    analyst, senior = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    host = f"audit-{secrets.token_hex(3)}.example"
    e = service.propose(session, analyst, "host", host, "a case")
    service.confirm(session, senior, e.id)
    service.remove(session, senior, e.id, "site gone")
    session.commit()
    login_as(make_user(roles.AUDITOR))

    ja = _rows(client.get("/audit?lang=ja").text)
    assert ja["blocklist:entry:propose"][0] == "ブロッキングリスト：エントリの提案"
    assert f"値: {host}" in ja["blocklist:entry:propose"][1] and "種別: host" in ja["blocklist:entry:propose"][1]
    assert ja["blocklist:entry:confirm"][0] == "ブロッキングリスト：エントリの確認（二者確認）"
    assert ja["blocklist:entry:remove"][1] == ["理由: site gone", f"版: {e.removed_version}"]
    assert ja["user:create"][0] == "アカウントの作成" and any(li.startswith("役割: ") for li in ja["user:create"][1])
    assert "{" not in "".join(li for _, lines in ja.values() for li in lines)  # no raw JSON left

    en = _rows(client.get("/audit?lang=en").text)
    assert en["blocklist:entry:remove"] == ("Blocking list: entry removed", ["Reason: site gone",
                                                                             f"Version: {e.removed_version}"])
    assert en["blocklist:entry:propose"][0] == "Blocking list: entry proposed"
    assert "Listing criteria: —" in en["blocklist:entry:propose"][1]
