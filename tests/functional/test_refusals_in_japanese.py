"""Refusals on the blocking-list and hash-matching pages read in Japanese in the Japanese interface
(issue 12): each form's refusal, the refused step on an entry, a missing entry's error page, an
import's bad lines; the values (an entry number, a bank name) stay as they are, and the English
text of the message (what the API and the command line say) is not on the page."""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.blocklist import service

PROBLEMS = re.compile(r'<ul class="problems[^"]*" role="alert"[^>]*>(.*?)</ul>', re.S)


def _problems(page: str) -> str:
    found = PROBLEMS.search(page)
    assert found, page[:2000]
    return html.unescape(found.group(1))


def _active(session: Session, proposer: Any, confirmer: Any, host: str) -> Any:
    e = service.propose(session, proposer, "host", host, "case")
    service.confirm(session, confirmer, e.id)
    session.commit()
    return e


def test_blocklist_forms_refuse_in_japanese(session: Session, client: Any, make_user: Any, login_as: Any) -> None:
    analyst, senior = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    csrf = login_as(analyst)
    tag = secrets.token_hex(3)
    r = client.post("/blocklist/propose?lang=ja", data={"csrf_token": csrf, "kind": "domain", "value": f"d-{tag}.example",
                                                        "reason": "r", "criteria": ["purpose"]})
    shown = _problems(r.text)
    assert r.status_code == 422 and "ドメイン全体を載せるのは 4 つの基準がすべて満たされるときだけです" in shown, shown
    assert "明らかな児童性的虐待記録が少なくとも1件確認された" in shown and "all four criteria" not in shown
    r = client.post("/blocklist/propose?lang=ja", data={"csrf_token": csrf, "kind": "host", "value": f"h-{tag}.example"})
    assert "理由か、もとになったホットライン事案を入力してください" in _problems(r.text)
    r = client.post("/blocklist/propose?lang=ja", data={"csrf_token": csrf, "kind": "url", "value": "http://[::1"})
    assert "使えるアドレスまたは名前ではありません" in _problems(r.text)
    e = _active(session, analyst, senior, f"dup-{tag}.example")
    r = client.post("/blocklist/propose?lang=ja", data={"csrf_token": csrf, "kind": "host", "value": f"dup-{tag}.example",
                                                        "reason": "again"})
    assert f"は、すでにエントリ {e.id} として「掲載中」です" in _problems(r.text)
    r = client.post(f"/blocklist/entries/{e.id}/reverify?lang=ja", data={"csrf_token": csrf, "next_review": "soon"})
    assert r.status_code == 422 and "次回の見直し日: 日付を入力してください" in _problems(r.text)
    r = client.post(f"/blocklist/entries/{e.id}/remove?lang=ja", data={"csrf_token": csrf, "reason": " "})
    assert "エントリをリストから外す理由を入力してください" in _problems(r.text) and "say why" not in r.text
    r = client.post("/blocklist/appeals?lang=ja", data={"csrf_token": csrf, "entry_id": "x", "appellant": "a",
                                                       "grounds": "g"})
    assert "異議申立ての対象となるエントリの番号を入力してください" in _problems(r.text)
    missing = client.get("/blocklist/entries/987654?lang=ja")
    assert missing.status_code == 404 and "ブロッキングリストのエントリ 987654 はありません" in missing.text
    assert "no blocking list entry" not in missing.text
    assert "ページが見つかりません" in client.get("/blocklist/no-such-page?lang=ja").text  # the error page's own words


def test_an_appeal_decided_by_the_proposer_is_refused_in_japanese(session: Session, client: Any, make_user: Any,
                                                                  login_as: Any) -> None:
    proposer, confirmer = make_user(roles.SENIOR_ANALYST), make_user(roles.ANALYST)
    e = _active(session, proposer, confirmer, f"appeal-{secrets.token_hex(3)}.example")
    appeal = service.record_appeal(session, confirmer, e.id, "site owner", "not abusive")
    session.commit()
    csrf = login_as(proposer)
    r = client.post(f"/blocklist/appeals/{appeal.id}/decide?lang=ja",
                    data={"csrf_token": csrf, "decision": "uphold", "reason": "ok"})
    assert r.status_code == 403
    assert f"#{appeal.id}: このエントリを提案または確認したのはあなたです" in _problems(r.text)


def test_matching_forms_refuse_in_japanese(session: Session, client: Any, make_user: Any, login_as: Any) -> None:
    csrf = login_as(make_user(roles.ADMINISTRATOR))
    name = f"ja-{secrets.token_hex(4)}"
    r = client.post("/matching/banks?lang=ja", data={"csrf_token": csrf, "name": "a/b"})
    shown = _problems(r.text)
    assert r.status_code == 422 and "名前: バンク名には「/」「\\」や制御文字を使えません" in shown, shown
    assert client.post("/matching/banks", data={"csrf_token": csrf, "name": name}, follow_redirects=False).status_code == 303
    r = client.post("/matching/banks?lang=ja", data={"csrf_token": csrf, "name": name})
    assert r.status_code == 409 and f"「'{name}'」という名前のハッシュバンクはすでにあります" in _problems(r.text)
    r = client.post("/matching/import?lang=ja", data={"csrf_token": csrf, "bank": name, "format": "lines",
                                                     "signal": "pdq"},
                    files={"file": ("h.txt", b"not-a-hash\n", "text/plain")})
    shown = _problems(r.text)
    assert r.status_code == 422 and "pdq のハッシュは 16 進数 64 桁です。'not-a-hash' は違います" in shown, shown
    assert "hex digits" not in shown
    r = client.post("/matching/entries?lang=ja", data={"csrf_token": csrf, "entry_id": "x", "action": "disable"})
    assert "エントリ番号: エントリの番号を入力してください" in _problems(r.text)
    r = client.post("/matching/entries?lang=ja", data={"csrf_token": csrf, "entry_id": "987654321", "action": "enable"})
    assert r.status_code == 404 and "ハッシュバンクのエントリ 987654321 はありません" in _problems(r.text)
    r = client.post("/matching/platforms?lang=ja", data={"csrf_token": csrf, "platform": "nobody-here"})
    assert r.status_code == 404 and "利用者 'nobody-here' はいません" in _problems(r.text)
    english = client.post("/matching/entries?lang=en", data={"csrf_token": csrf, "entry_id": "987654321",
                                                             "action": "enable"})
    assert "no hash bank entry 987654321" in _problems(english.text)  # English stays the service's own words
