"""Intake: the public form (kept as entered, receipt, limits, clear refusals, nothing stored on a
refusal, no address stored), trusted-flagger API (single, batch, idempotent), partner CSV import,
and separate rate limits for the public and for flaggers."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from mamoru.db import utcnow
from mamoru.hotline.models import HotlineCase, RateCounter, Report


def _token(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/report")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_public_form_keeps_fields_as_entered_and_gives_a_receipt(hl_client, database) -> None:  # type: ignore[no-untyped-def]
    url = "HTTP://Shop.Example.TEST:8080/a/./b/../c?x=1#frag"
    r = hl_client.post("/report", data={"url": url, "content_type": "video", "where_found": "掲示板の投稿",
                                        "description": "  two spaces kept  ", "contact": "reporter@example.test",
                                        "csrf_token": _token(hl_client)})
    assert r.status_code == 200
    receipt = re.search(r'id="receipt">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    assert f'id="receipt">{receipt}</strong>。</p>' in r.text  # the Japanese sentence ends in 。, not "."
    with database.session() as s:
        report = s.scalars(select(Report).where(Report.receipt == receipt)).one()
        assert (report.url, report.where_found, report.description) == (url, "掲示板の投稿", "  two spaces kept  ")
        case = s.get(HotlineCase, report.case_id)
        assert case.canonical_url == "http://shop.example.test/a/c?x=1" and case.url == url


def test_no_client_address_is_stored_anywhere(hl_client, database) -> None:  # type: ignore[no-untyped-def]
    hl_client.post("/report", data={"url": "http://privacy.example.test/", "csrf_token": _token(hl_client)})
    tables = [t for name, t in Report.metadata.tables.items() if name.startswith("hl_") or name == "audit_events"]
    with database.session() as s:
        text = " ".join(str(v) for t in tables for row in s.execute(select(t)) for v in row)
    assert "privacy.example.test" in text
    assert "testclient" not in text  # the address TestClient requests come from


def test_no_client_address_is_logged(hl_client, caplog) -> None:  # type: ignore[no-untyped-def]
    """The access log (and every other log line of the request) says what was asked and the answer,
    never who asked: not the connection's address, not the one a proxy forwards."""
    import logging

    caplog.set_level(logging.DEBUG)
    forwarded = {"X-Forwarded-For": "198.51.100.77", "X-Real-IP": "198.51.100.78"}
    hl_client.post("/report", data={"url": "http://logged.example.test/", "csrf_token": _token(hl_client)},
                   headers=forwarded)
    hl_client.get("/report/status", headers=forwarded)
    lines = [r.getMessage() for r in caplog.records]
    assert any("POST /report 200" in line for line in lines)  # the access log was seen
    held = [line for line in lines if any(a in line for a in ("testclient", "198.51.100.77", "198.51.100.78"))]
    assert held == []


def test_malformed_and_oversize_reports_are_refused_and_nothing_is_stored(hl_client, database) -> None:  # type: ignore[no-untyped-def]
    before = _count(database, Report)
    token = _token(hl_client)
    r = hl_client.post("/report", data={"url": "javascript:alert(1)", "csrf_token": token})
    assert r.status_code == 422 and "アドレスとして読み取れません" in r.text
    r = hl_client.post("/report", data={"url": "http://ok.example.test/", "description": "x" * 25_000, "csrf_token": token})
    assert r.status_code == 413
    r = hl_client.post("/report", data={"url": "http://ok.example.test/", "content_type": "sculpture", "csrf_token": token})
    assert r.status_code == 422
    for port in ("99999", "0", "8o"):  # no address names such a port: refused with the reason, as typed
        r = hl_client.post("/report", data={"url": f"http://port.example.test:{port}/x", "csrf_token": token})
        assert r.status_code == 422 and "ポート番号は 1 から 65535 までの数でなければなりません" in r.text, port
        assert f'value="http://port.example.test:{port}/x"' in r.text
    assert _count(database, Report) == before
    from mamoru.hotline.intake import ReportInput, validate

    assert validate(ReportInput(url="http://port.example.test:8207/x")) == ("http://port.example.test/x", [])


def test_an_address_whose_host_reads_two_ways_is_refused_at_intake(hl_client, database) -> None:  # type: ignore[no-untyped-def]
    """`http://reported.example.test%2F@127.0.0.1/gone` is listed as reported.example.test by the
    canonical form, while an HTTP client goes to 127.0.0.1: the removal checker refuses it on every
    check, so the report could never be verified. It is refused when it is typed, with the reason,
    in the reader's language, and the form keeps what was typed."""
    before = _count(database, Report)
    token = _token(hl_client)
    for url in ("http://reported.example.test%2F@127.0.0.1/gone", "http://user@host.example.test/x"):
        r = hl_client.post("/report?lang=ja", data={"url": url, "csrf_token": token})
        assert r.status_code == 422 and "ユーザー部分" in r.text, url
        r = hl_client.post("/report?lang=en", data={"url": url, "csrf_token": token})
        assert r.status_code == 422 and "user part" in r.text, url
    assert _count(database, Report) == before
    from mamoru.hotline.intake import ReportInput, validate

    assert validate(ReportInput(url="https://x.example.test/p?q=a%26b"))[1] == []  # only the host must read one way


def test_a_refused_address_says_why_in_the_readers_language(hl_client) -> None:  # type: ignore[no-untyped-def]
    """The parser's reason reaches the form translated (it used to be cut off at the colon, and would
    have been English on the Japanese page)."""
    token = _token(hl_client)
    r = hl_client.post("/report", data={"url": "http:///nohost", "csrf_token": token})
    assert r.status_code == 422 and "アドレスとして読み取れません：URL にホスト名がありません" in r.text
    r = hl_client.post("/report?lang=en", data={"url": "javascript:alert(1)", "csrf_token": token})
    assert r.status_code == 422 and "not a usable address: not a web address: expected &#39;//&#39; after" in r.text


def test_duplicate_urls_join_one_case(hl_client, database) -> None:  # type: ignore[no-untyped-def]
    token = _token(hl_client)
    for url in ("http://dup.example.test/p?id=7", "http://DUP.example.test:80/p?id=7", "http://dup.example.test/x/../p?id=7#top"):
        assert hl_client.post("/report", data={"url": url, "csrf_token": token}).status_code == 200
    with database.session() as s:
        case = s.scalars(select(HotlineCase).where(HotlineCase.canonical_url == "http://dup.example.test/p?id=7")).one()
        assert case.report_count == 3 and len(case.reports) == 3


def test_public_rate_limit_per_client(hl_client, database) -> None:  # type: ignore[no-untyped-def]
    token = _token(hl_client)
    codes = [hl_client.post("/report", data={"url": f"http://rate.example.test/{i}", "csrf_token": token}).status_code
             for i in range(7)]
    assert codes == [200] * 5 + [429] * 2  # the fixture allows 5 per window


def test_flagger_single_batch_idempotent_and_own_limits(hl_client, database, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    flagger = make_user("analyst")
    h = {"Authorization": f"Bearer {api_token(flagger, ['flagger'])}"}
    one = hl_client.post("/api/v1/hotline/reports", headers=h, json={"url": "http://f.example.test/1", "client_key": "k1"})
    assert one.status_code == 201
    again = hl_client.post("/api/v1/hotline/reports", headers=h, json={"url": "http://f.example.test/1", "client_key": "k1"})
    assert again.json()["receipt"] == one.json()["receipt"]
    batch = [{"url": f"http://f.example.test/b{i}", "client_key": f"b{i}"} for i in range(20)]
    r = hl_client.post("/api/v1/hotline/reports/batch", headers=h, json={"reports": batch})
    assert r.status_code == 201 and len(r.json()) == 20
    r2 = hl_client.post("/api/v1/hotline/reports/batch", headers=h, json={"reports": batch})
    assert [x["receipt"] for x in r2.json()] == [x["receipt"] for x in r.json()]
    bad = batch[:2] + [{"url": "", "client_key": "zz"}]
    r = hl_client.post("/api/v1/hotline/reports/batch", headers=h, json={"reports": bad})
    assert r.status_code == 422 and r.json()["problems"][0]["row"] == 3
    # 43 reports so far count against the flagger's limit of 50, not the public one of 5.
    assert hl_client.post("/api/v1/hotline/reports", headers=h, json={"url": "http://f.example.test/x"}).status_code == 201
    r = hl_client.post("/api/v1/hotline/reports/batch", headers=h,
                       json={"reports": [{"url": f"http://f.example.test/c{i}"} for i in range(10)]})
    assert r.status_code == 429
    assert hl_client.post("/api/v1/hotline/reports", json={"url": "http://f.example.test/anon"}).status_code in (401, 403)


def test_partner_csv_import_all_or_nothing_and_idempotent(hl_client, database, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    partner = make_user("analyst")
    h = {"Authorization": f"Bearer {api_token(partner, ['flagger'])}", "Content-Type": "text/csv"}
    csv_text = "url,content_type,client_key,immediate_danger\nhttp://p.example.test/1,image,INH-1,\nhttp://p.example.test/2,video,INH-2,yes\n"
    r = hl_client.post("/api/v1/hotline/reports/csv?partner=INHOPE-XX", headers=h, content=csv_text)
    assert r.status_code == 201, r.text
    r2 = hl_client.post("/api/v1/hotline/reports/csv?partner=INHOPE-XX", headers=h, content=csv_text)
    assert [x["receipt"] for x in r2.json()] == [x["receipt"] for x in r.json()]
    before = _count(database, Report)
    r = hl_client.post("/api/v1/hotline/reports/csv?partner=INHOPE-XX", headers=h,
                       content="url,content_type\nhttp://p.example.test/3,image\nnot a url at all,image\n")
    assert r.status_code == 422 and r.json()["problems"][0]["row"] == 2
    assert _count(database, Report) == before
    with database.session() as s:
        rep = s.scalars(select(Report).where(Report.client_key == "INH-2")).one()
        assert rep.source == "partner" and rep.partner == "INHOPE-XX" and rep.immediate_danger


def test_database_rate_store_is_shared_and_expires(database) -> None:  # type: ignore[no-untyped-def]
    from mamoru.hotline.ratelimit import DatabaseRateLimiter, client_key

    key = client_key("secret", "192.0.2.7")
    assert "192.0.2.7" not in key
    a, b = DatabaseRateLimiter(database), DatabaseRateLimiter(database)  # two processes, one store
    results = [lim.allow(key, 3, 60) for lim in (a, b, a, b)]
    assert results == [True, True, True, False]
    with database.session() as s:
        s.add(RateCounter(key="old", window=1, hits=9, expires_at=utcnow() - timedelta(seconds=1)))
    a.allow(key, 3, 60)
    with database.session() as s:
        assert s.scalars(select(RateCounter.key).where(RateCounter.key == "old")).first() is None
