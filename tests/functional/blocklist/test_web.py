"""The blocking list pages: propose through the form, the proposer cannot confirm, a second person can."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.blocklist import service


def test_propose_and_confirm_through_the_pages(session: Session, client, make_user, login_as) -> None:
    a, b = make_user(roles.ANALYST), make_user(roles.ANALYST)
    host = f"bad-{secrets.token_hex(3)}.example"
    csrf = login_as(a)
    form = client.get("/blocklist/propose?lang=en")
    assert form.status_code == 200 and "second, different person" in form.text
    r = client.post("/blocklist/propose", data={"csrf_token": csrf, "kind": "domain", "value": host,
                                                "reason": "case", "criteria": ["purpose", "confirmed"]})
    assert r.status_code == 422 and "no-alternative" in r.text  # a domain needs all four criteria
    # The form comes back as typed, ticks included, laid out as the other forms (a label over its field).
    assert '<form method="post" action="/blocklist/propose" class="stack">' in r.text
    assert f'value="{host}"' in r.text and 'value="domain" checked' in r.text
    assert 'value="purpose" checked' in r.text and 'value="confirmed" checked' in r.text
    assert 'value="no-alternative" checked' not in r.text
    r = client.post("/blocklist/propose", data={"csrf_token": csrf, "kind": "url", "value": f"http://{host}/p/1",
                                                "reason": "case 7"}, follow_redirects=False)
    assert r.status_code == 303
    entry_url = r.headers["location"]
    entry_id = int(entry_url.rsplit("/", 1)[1])
    page = client.get(entry_url)
    assert "/confirm" not in page.text and "independent person" in page.text
    assert client.post(f"{entry_url}/confirm", data={"csrf_token": csrf}).status_code == 403

    csrf_b = login_as(b)
    page = client.get(entry_url + "?lang=ja")
    assert "確認する" in page.text and "提案者" in page.text
    assert client.post(f"{entry_url}/confirm", data={"csrf_token": csrf_b}, follow_redirects=False).status_code == 303
    session.expire_all()
    assert service.get_entry(session, entry_id).status == "active"
    listing = client.get("/blocklist?lang=en")
    assert re.search(rf"http://{re.escape(host)}/p/1", listing.text)
    assert re.search(r'id="list-version">List version \d+\. ', listing.text)
    ja = client.get("/blocklist?lang=ja").text
    assert re.search(r'id="list-version">リスト第\d+版。', ja) and not re.search(r"版\.", ja)  # no English full stop


def test_pages_are_for_hotline_staff(client, make_user, login_as) -> None:
    login_as(make_user(roles.SUBSCRIBER))
    assert client.get("/blocklist").status_code == 403
