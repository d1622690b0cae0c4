"""Publishing the list from the browser: the page says what will be published, a senior analyst or
administrator confirms, the publication's page shows its files with their feed addresses and
signatures; a refusal (nothing changed, the list changed meanwhile, the signing key missing) is said
in the page in the reader's language, never a 500 or JSON."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from pathlib import Path

from sqlalchemy.orm import Session
from tests.settings_support import with_domain

from mamoru.auth import roles
from mamoru.blocklist import publishing, service
from mamoru.blocklist.settings import BlocklistSettings


def _listed(session: Session, proposer, confirmer, n: int = 1) -> list[str]:  # type: ignore[no-untyped-def]
    hosts = [f"pub-{secrets.token_hex(4)}.example" for _ in range(n)]
    for host in hosts:
        e = service.propose(session, proposer, "host", host, "case")
        service.confirm(session, confirmer, e.id)
    session.commit()
    return hosts


def test_publish_from_the_page_and_see_the_publication(session: Session, client, make_user, login_as) -> None:
    analyst, senior = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    _listed(session, analyst, senior, 2)
    version = service.current_version(session)
    first = publishing.publish(session, None, client.app.state.settings.domain(BlocklistSettings))
    session.commit()
    removed_host, *_ = _listed(session, analyst, senior, 3)
    gone = next(e for e in service.entries(session, "active") if e.value == removed_host)
    service.remove(session, senior, gone.id, "site gone")
    session.commit()
    now = service.current_version(session)
    assert now == version + 4

    csrf = login_as(senior)
    listing = client.get("/blocklist?lang=en")
    assert 'href="/blocklist/publish"' in listing.text and f'href="/blocklist/publications/{first.version}"' in listing.text
    page = client.get("/blocklist/publish?lang=en")
    assert page.status_code == 200
    assert f"List version {now}" in _text(page, "current-version")
    assert f"List version {first.version}" in _text(page, "last-published") and "JST" in _text(page, "last-published")
    assert _text(page, "changes") == "2 added, 0 removed"  # three added after it, one of them removed again
    assert _text(page, "entries") == f"{first.entry_count + 2} entries"
    assert "blocklist.rpz" in _text(page, "files") and f"blocklist-delta-{first.version}-{now}.json" in _text(page, "files")
    assert "Not configured; the default key file is used" in _text(page, "signing-key")
    ja = client.get("/blocklist/publish?lang=ja")
    assert "追加 2 件、削除 0 件" in ja.text and f"第{now}版を公開する" in ja.text

    # Not confirmed: the form again with the reason, nothing published.
    r = client.post("/blocklist/publish?lang=ja", data={"csrf_token": csrf, "version": str(now)})
    assert r.status_code == 422 and "チェックボックスにチェックを入れてください" in r.text
    assert publishing.latest_publication(session).version == first.version  # type: ignore[union-attr]
    # Confirmed for a version the list has left: refused, nothing published.
    r = client.post("/blocklist/publish?lang=en", data={"csrf_token": csrf, "version": str(now - 1), "confirm": "yes"})
    assert r.status_code == 409 and "the list changed while you were looking" in r.text
    assert r.headers["content-type"].startswith("text/html")

    r = client.post("/blocklist/publish", data={"csrf_token": csrf, "version": str(now), "confirm": "yes"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/blocklist/publications/{now}"
    session.expire_all()
    pub = publishing.publication(session, now)
    assert pub.published_by == senior.username and pub.entry_count == first.entry_count + 2

    shown = client.get(f"/blocklist/publications/{now}?lang=en")
    assert shown.status_code == 200
    assert _text(shown, "published-by") == senior.username and _text(shown, "entry-count") == f"{pub.entry_count} entries"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d JST", _text(shown, "published-at"))
    for fmt in ("rpz", "hosts", "csv", "json", "hashed"):  # addresses for a subscriber's fetcher (a token needed)
        assert f'<code>/api/v1/blocklist/snapshots/{fmt}?version={now}</code>' in shown.text
        assert f'<code>/api/v1/blocklist/snapshots/{fmt}/signature?version={now}</code>' in shown.text
    assert f'<code>/api/v1/blocklist/deltas/{first.version}/{now}/signature</code>' in shown.text
    # on the staff listener, the feed's addresses are the public listener's (MAMORU_PUBLIC_URL)
    settings = client.app.state.settings
    client.app.state.settings = dataclasses.replace(settings, public_url="https://mamoru.example.test")
    try:
        public = client.get(f"/blocklist/publications/{now}?lang=en").text
    finally:
        client.app.state.settings = settings
    assert f'<code>https://mamoru.example.test/api/v1/blocklist/snapshots/rpz?version={now}</code>' in public
    assert 'href="https://mamoru.example.test/report"' in public or "/hotline" in public  # the header's report link
    assert pub.key_id in shown.text
    rpz = next(f for f in publishing.files_of(session, pub) if f.format == "rpz")
    assert rpz.sha256[:16] in shown.text and json.loads(rpz.signature)["sha256"] == rpz.sha256
    ja = client.get(f"/blocklist/publications/{now}?lang=ja")
    assert f"第{now}版の公開" in ja.text and f"第{first.version}版からの差分" in ja.text and "配信アドレス" in ja.text

    # Nothing changed since: the page says so and offers no form; a POST anyway is refused in the page.
    page = client.get("/blocklist/publish?lang=ja")
    assert "公開するものはありません" in page.text and 'action="/blocklist/publish"' not in page.text
    r = client.post("/blocklist/publish?lang=ja", data={"csrf_token": csrf, "version": str(now), "confirm": "yes"})
    assert r.status_code == 409 and f"版 {now} はすでに公開済みです" in r.text
    assert client.get("/blocklist/publications/99999?lang=en").status_code == 404


def test_a_missing_signing_key_is_said_in_the_page(session: Session, client, settings, make_user, login_as,
                                                    tmp_path: Path) -> None:
    analyst, admin = make_user(roles.ANALYST), make_user(roles.ADMINISTRATOR)
    _listed(session, analyst, admin)
    missing = tmp_path / "etc" / "blocklist.key"
    client.app.state.settings = with_domain(settings, BlocklistSettings, key_path=missing, key_configured=True)
    before = publishing.latest_publication(session)
    csrf = login_as(admin)
    page = client.get("/blocklist/publish?lang=en")
    assert "Configured (MAMORU_BLOCKLIST_KEY) but missing" in _text(page, "signing-key")
    r = client.post("/blocklist/publish?lang=ja", data={"csrf_token": csrf, "confirm": "yes",
                                                        "version": str(service.current_version(session))})
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/html")
    assert f"署名鍵 {missing}（MAMORU_BLOCKLIST_KEY）がありません" in _text(r, "problems")
    r = client.post("/blocklist/publish?lang=en", data={"csrf_token": csrf, "confirm": "yes"})
    assert r.status_code == 503 and "does not exist" in _text(r, "problems")
    assert not missing.exists() and publishing.latest_publication(session) == before


def test_analysts_and_auditors_do_not_publish(client, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    for role in (roles.ANALYST, roles.AUDITOR):
        csrf = login_as(make_user(role))
        assert 'href="/blocklist/publish"' not in client.get("/blocklist?lang=en").text
        assert client.get("/blocklist/publish").status_code == 403
        assert client.post("/blocklist/publish", data={"csrf_token": csrf, "confirm": "yes"}).status_code == 403


def _text(response, element_id: str) -> str:  # type: ignore[no-untyped-def]
    m = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:dd|ul|p|td)>', response.text, re.DOTALL)
    assert m, f"no #{element_id} in the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(1))).strip()


def test_one_entry_on_the_list_is_counted_in_the_singular(session: Session, client, make_user, login_as) -> None:
    analyst, senior = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    _listed(session, analyst, senior, 1)
    login_as(senior)
    assert _text(client.get("/blocklist/publish?lang=en"), "entries") == "1 entry"
    assert _text(client.get("/blocklist/publish?lang=ja"), "entries") == "1 件"
    _listed(session, analyst, senior, 1)
    assert _text(client.get("/blocklist/publish?lang=en"), "entries") == "2 entries"
