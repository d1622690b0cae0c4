"""The review and appeal pages: a due entry is re-verified or removed, an appeal is recorded and
decided by someone independent of the entry, the refused confirmation says why; in both languages."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.blocklist import service


def _active(session: Session, proposer, confirmer, host: str):  # type: ignore[no-untyped-def]
    e = service.propose(session, proposer, "host", host, "case")
    service.confirm(session, confirmer, e.id)
    session.commit()
    return e


def test_refused_confirmation_says_why(session: Session, client, make_user, login_as) -> None:
    admin = make_user(roles.ADMINISTRATOR)
    puppet = make_user(roles.SENIOR_ANALYST, created_by=admin)
    e = service.propose(session, admin, "host", f"www.bad-{secrets.token_hex(3)}.example", "case")
    session.commit()
    csrf = login_as(puppet)
    page = client.get(f"/blocklist/entries/{e.id}?lang=en")
    assert "Your account was created by the proposer" in page.text and "/confirm" not in page.text
    r = client.post(f"/blocklist/entries/{e.id}/confirm?lang=ja", data={"csrf_token": csrf})
    assert r.status_code == 403 and "提案者によって作成" in r.text
    session.expire_all()
    assert service.get_entry(session, e.id).status == "proposed"


def test_review_page_reverifies_and_removes(session: Session, client, make_user, login_as) -> None:
    a, b = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    tag = secrets.token_hex(3)
    keep, drop = _active(session, a, b, f"keep-{tag}.example"), _active(session, a, b, f"drop-{tag}.example")
    for e in (keep, drop):
        e.review_on = date.today() - timedelta(days=1)
    session.commit()
    csrf = login_as(a)
    page = client.get("/blocklist/review?lang=en")
    assert f"keep-{tag}.example" in page.text and "overdue" in page.text
    assert "見直し期限" in client.get("/blocklist/review?lang=ja").text
    nxt = (date.today() + timedelta(days=30)).isoformat()
    r = client.post(f"/blocklist/entries/{keep.id}/reverify",
                    data={"csrf_token": csrf, "next_review": nxt, "back": "/blocklist/review"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/blocklist/review"
    r = client.post(f"/blocklist/entries/{drop.id}/remove",
                    data={"csrf_token": csrf, "reason": "", "back": "/blocklist/review"})
    assert r.status_code == 422 and "エントリをリストから外す理由を入力してください" in r.text  # a removal needs a reason (the page is in Japanese)
    client.post(f"/blocklist/entries/{drop.id}/remove", data={"csrf_token": csrf, "reason": "site gone"})
    session.expire_all()
    assert (keep.review_on.isoformat(), keep.status, drop.status) == (nxt, "active", "removed")
    assert f"keep-{tag}.example" not in client.get("/blocklist/review?lang=en").text


def test_appeal_recorded_and_decided_through_the_pages(session: Session, client, make_user, login_as) -> None:
    a, b, c = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST), make_user(roles.SENIOR_ANALYST)
    host = f"appeal-{secrets.token_hex(3)}.example"
    e = _active(session, a, b, host)
    csrf = login_as(a)
    assert "異議申立て" in client.get(f"/blocklist/entries/{e.id}?lang=ja").text
    r = client.post("/blocklist/appeals", data={"csrf_token": csrf, "entry_id": str(e.id), "appellant": "",
                                                "grounds": "x"})
    assert r.status_code == 422
    r = client.post("/blocklist/appeals", data={"csrf_token": csrf, "entry_id": str(e.id),
                                                "appellant": "Site owner", "grounds": "The content was deleted"})
    assert r.status_code == 200 and "The content was deleted" in r.text
    appeal_id = service.appeals(session, "pending", entry_id=e.id)[0].id
    assert f"/blocklist/appeals/{appeal_id}/decide" not in r.text  # analysts record, they do not decide

    csrf = login_as(b)  # the confirmer may not decide
    r = client.post(f"/blocklist/appeals/{appeal_id}/decide?lang=en",
                    data={"csrf_token": csrf, "decision": "uphold", "reason": "deleted"})
    assert r.status_code == 403 and "someone else decides" in r.text
    csrf = login_as(c)
    page = client.get("/blocklist/appeals?lang=en")
    assert re.search(rf"/blocklist/appeals/{appeal_id}/decide", page.text)
    r = client.post(f"/blocklist/appeals/{appeal_id}/decide?lang=en",
                    data={"csrf_token": csrf, "decision": "uphold", "reason": "checked: deleted"})
    assert r.status_code == 200 and "Upheld" in r.text
    session.expire_all()
    assert service.get_entry(session, e.id).status == "removed"
