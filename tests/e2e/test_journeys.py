"""Journeys end to end in Chromium through the production layout (issue 12): the layout every
end-to-end module shares (tests/e2e/conftest.py; tests/production.py: deploy/Procfile behind the real
nginx) and the worker's one browser (tests/conftest.py). Each journey makes its own users and hosts.

1. A member of the public, on a phone-sized screen in Japanese, reports an address through the
   public listener's /report and gets a receipt number on the page. (Issue 12 also asks to look the
   report's status up with the receipt; mamoru has no such page yet, so that half is not here.)
4. A platform engineer creates a match token on her account page (staff listener), reads the API
   documentation on the public listener with every request outside 127.0.0.1 blocked, matches
   hashes with the token through the public listener's /api/v1/match, revokes the token on her
   account page, and the same call is refused (401).
3. An analyst proposes a host (CLI), a senior analyst confirms it in the browser on the staff
   listener, the list is published (CLI, with the layout's signing key), and an ISP subscriber
   fetches the RPZ with a feed token through the public listener's feed path: the host is in it.

Only benign data: addresses under example.test and random hex hashes.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import unique_host, unique_user
from tests.production import ProductionLayout

pytestmark = pytest.mark.browser

TIMEOUT = 60_000  # ms: two shared, busy cores
PHONE = {"width": 390, "height": 844}


def _context(browser: Any, **options: Any) -> Any:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT)
    context.set_default_navigation_timeout(TIMEOUT)
    return context


def test_a_member_of_the_public_reports_an_address_on_a_phone_in_japanese(layout: ProductionLayout,
                                                                          browser: Any) -> None:
    context = _context(browser, viewport=PHONE, is_mobile=True, has_touch=True, locale="ja-JP",
                       extra_http_headers={"Accept-Language": "ja"})
    page = context.new_page()
    try:
        page.goto(layout.public + "/report")
        assert page.locator("html").get_attribute("lang") == "ja"
        form = page.locator("#report-form")
        assert form.is_visible()
        box = form.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # fits the phone's width
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
        host = unique_host("journey")
        page.fill("input[name=url]", f"http://{host}/page")
        with page.expect_navigation():
            page.click("#report-form button[type=submit]")
        assert page.locator("h1").inner_text() == "通報を受け付けました"
        receipt = page.locator("#receipt").inner_text().strip()
        assert re.fullmatch(r"[A-Za-z0-9-]{6,}", receipt), receipt
        assert host not in page.content()  # the receipt page does not echo the reported address
    finally:
        context.close()


def _sign_in(page: Any, layout: ProductionLayout, username: str, next_path: str) -> None:
    page.goto(f"{layout.staff}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def _match(layout: ProductionLayout, token: str, hashes: list[str]) -> httpx.Response:
    return httpx.post(layout.public + "/api/v1/match", json={"hashes": hashes},
                      headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_a_platform_engineer_makes_a_token_reads_the_docs_matches_and_revokes(layout: ProductionLayout,
                                                                               browser: Any) -> None:
    engineer = unique_user(layout, "platform")
    context = _context(browser, locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    try:
        _sign_in(page, layout, engineer, "/account")
        page.goto(layout.staff + "/account")
        assert page.locator("h1").inner_text() == engineer
        form = page.locator("form[action='/account/tokens']")
        form.locator("input[name=name]").fill("journey match")
        form.locator("input[name=scopes][value=match]").check()
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        token = page.locator("#new-token").inner_text().strip()
        assert token
        row = page.locator("#token-list tbody tr", has_text="journey match")
        assert row.count() == 1
        token_id = (row.get_attribute("id") or "").removeprefix("token-")
        assert token_id.isdigit()

        # the API documentation, on the public listener, from mamoru's own files only
        docs = context.new_page()
        origin = urlparse(layout.public).netloc
        outside: list[str] = []

        def route(r: Any) -> None:
            if urlparse(r.request.url).hostname != "127.0.0.1":
                outside.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        docs.route("**/*", route)
        docs.goto(layout.public + "/api/v1/docs", wait_until="networkidle")
        docs.wait_for_selector(".opblock", timeout=TIMEOUT)
        spec = httpx.get(layout.public + "/api/v1/openapi.json", timeout=60).json()
        # the portal serves the page; the document is the public listener's: the matcher's match API too
        assert spec["paths"]["/api/v1/match"]["post"]["x-mamoru-role"] == "matcher"
        rendered = docs.locator(".opblock-summary-path")
        paths = {rendered.nth(i).get_attribute("data-path") for i in range(rendered.count())}
        assert len(paths) >= 3 and paths <= set(spec["paths"]), paths
        assert outside == [], outside
        assert urlparse(docs.url).netloc == origin
        docs.close()

        hashes = [secrets.token_hex(32) for _ in range(3)]
        r = _match(layout, token, hashes)
        assert r.status_code == 200, r.text
        assert [x["query"] for x in r.json()["results"]] == hashes
        assert all(x["matches"] == [] for x in r.json()["results"])

        page.goto(layout.staff + "/account")
        with page.expect_navigation():
            page.locator(f"#token-{token_id} form button[type=submit]").click()
        assert page.locator("#revoked-notice").is_visible()
        assert page.locator(f"#token-{token_id}").get_attribute("class") == "token-revoked"
    finally:
        context.close()
    assert _match(layout, token, hashes).status_code == 401


def test_a_senior_analyst_confirms_a_host_and_an_isp_fetches_it_in_the_rpz(layout: ProductionLayout,
                                                                          browser: Any) -> None:
    analyst, senior, isp = (unique_user(layout, role) for role in ("analyst", "senior_analyst", "subscriber"))
    host = unique_host("files")
    proposed = layout.cli("blocklist", "propose", "--host", host, "--reason", "hotline case (benign test host)",
                          "--as", analyst)
    entry_id = proposed.stdout.split()[-1]
    assert entry_id.isdigit(), proposed.stdout
    context = _context(browser, locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    try:
        _sign_in(page, layout, senior, f"/blocklist/entries/{entry_id}")
        page.goto(f"{layout.staff}/blocklist/entries/{entry_id}?lang=en")
        assert page.inner_text("dd.url") == host
        with page.expect_navigation():
            page.click(f"form[action='/blocklist/entries/{entry_id}/confirm'] button[type=submit]")
        assert page.inner_text("#status") == "On the list"
    finally:
        context.close()
    key = layout.run_dir / "keys" / "blocklist.key"
    assert key.exists()
    layout.cli("blocklist", "publish", "--as", senior, env={"MAMORU_BLOCKLIST_KEY": str(key)})
    feed_token = layout.token(isp, "feed")
    r = httpx.get(layout.public + "/api/v1/blocklist/snapshots/rpz", headers={"Authorization": f"Bearer {feed_token}"},
                  timeout=60)
    assert r.status_code == 200, r.text[:300]
    assert layout.answered_by(r) == layout.upstream("feed")
    names = {line.split()[0] for line in r.text.splitlines() if line.strip() and not line.startswith((";", "$"))}
    assert host in names, r.text[:2000]
    assert httpx.get(layout.public + "/api/v1/blocklist/snapshots/rpz", timeout=60).status_code == 401
