"""Journeys end to end in Chromium through the production layout (issue 12): the layout every
end-to-end module shares (tests/e2e/conftest.py; tests/production.py: deploy/Procfile behind the real
nginx) and the worker's one browser (tests/conftest.py). Each journey makes its own users and hosts.

1. A member of the public, on a phone-sized screen in Japanese, reports an address through the
   public listener's /report, gets a receipt number on the page, and follows its link to
   /report/status (the intake process), where the receipt shows 受付済み (received); after an analyst
   assesses the case through the staff listener's API it shows 判定済み (assessed), after the police
   referral 対応済み (acted on), and nothing else of the report at any point.
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
import time
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
        assert "この受付番号を控えておいてください" in page.content()

        def status_shown() -> str:
            page.goto(layout.public + "/report/status")
            page.fill("input[name=receipt]", receipt)
            with page.expect_navigation():
                page.click("#status-form button[type=submit]")
            assert host not in page.content()  # one word and its meaning, never the address
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            return page.locator("#status-word").inner_text().strip()

        with page.expect_navigation():
            page.click("#status-link")  # the receipt page leads to the lookup
        assert urlparse(page.url).path == "/report/status" and page.locator("input[name=receipt]").is_visible()
        assert status_shown() == "受付済み"  # still in the inbox, or in the queue
        assert "分析員による判定はまだ行われていません" in page.locator("#status-meaning").inner_text()
        analyst = {"Authorization": f"Bearer {layout.token(unique_user(layout, 'analyst'), 'hotline:read,hotline:write')}"}
        case_id = _case_of(layout, analyst, host)
        r = httpx.post(f"{layout.staff}/api/v1/hotline/cases/{case_id}/assessments", headers=analyst, timeout=60,
                       json={"verdict": "csam", "legal_basis": "child-pornography", "hosting_country": "JP"})
        assert r.status_code == 200, r.text
        assert status_shown() == "判定済み"
        r = httpx.post(f"{layout.staff}/api/v1/hotline/cases/{case_id}/referral", headers=analyst, timeout=60,
                       json={"police_unit": "journey test unit"})
        assert r.status_code == 200, r.text
        assert status_shown() == "対応済み"
        assert "journey test unit" not in page.content() and f"C{case_id:07d}" not in page.content()
    finally:
        context.close()


def _case_of(layout: ProductionLayout, headers: dict[str, str], host: str, seconds: float = 60) -> int:
    """The case of the reported host, once the hotline worker has drained the intake's inbox row."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = httpx.get(layout.staff + "/api/v1/hotline/queue", headers=headers, timeout=60)
        assert r.status_code == 200, r.text
        found = [c["id"] for c in r.json() if host in c["url"]]
        if found:
            return int(found[0])
        time.sleep(1)
    raise AssertionError(f"no case for {host} after {seconds} s: the worker did not drain the inbox")


def _sign_in(page: Any, layout: ProductionLayout, username: str, next_path: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{layout.staff}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
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


JST_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} JST")


def test_an_administrator_creates_edits_and_deactivates_a_user_and_reads_its_audit_trail(
        layout: ProductionLayout, browser: Any) -> None:
    username = f"journey-new-{secrets.token_hex(3)}"
    password = f"journey-{secrets.token_hex(8)}"
    admin_context = _context(browser, locale="ja-JP", extra_http_headers={"Accept-Language": "ja"})
    user_context = _context(browser, locale="ja-JP", extra_http_headers={"Accept-Language": "ja"})
    admin, member = admin_context.new_page(), user_context.new_page()
    try:
        _sign_in(admin, layout, "admin", "/admin/users", password=layout.admin_password)
        admin.goto(layout.staff + "/admin/users")
        assert admin.locator("html").get_attribute("lang") == "ja"
        form = admin.locator("form[action='/admin/users']")
        assert form.locator("select[name=role]").input_value() == ""  # no role is preselected
        form.locator("input[name=username]").fill(username)
        form.locator("select[name=role]").select_option("analyst")
        form.locator("input[name=display_name]").fill("ジャーニー 太郎")
        form.locator("input[name=email]").fill("first@example.test")
        form.locator("input[name=password]").fill(password)
        with admin.expect_navigation():
            form.locator("button[type=submit]").click()
        row = admin.locator("tbody tr", has_text=username)
        assert row.count() == 1 and "first@example.test" in row.inner_text()

        _sign_in(member, layout, username, "/hotline", password=password)  # the new account works
        member.goto(layout.staff + "/hotline")
        assert urlparse(member.url).path == "/hotline" and member.locator("h1").count() == 1

        admin.goto(f"{layout.staff}/admin/users/{username}")
        edit = admin.locator(f"form[action='/admin/users/{username}/edit']")
        edit.locator("input[name=email]").fill("changed@example.test")
        edit.locator("select[name=role]").select_option("senior_analyst")
        with admin.expect_navigation():
            edit.locator("button[type=submit]").click()
        assert admin.locator("p.notice[role=status]").inner_text() == "アカウントを変更しました。"
        assert "changed@example.test" in admin.locator("dl").inner_text()

        off = admin.locator(f"form[action='/admin/users/{username}/deactivate']")
        off.locator("input[name=confirm]").check()
        with admin.expect_navigation():
            off.locator("button[type=submit]").click()
        assert "無効" in admin.locator("p.notice[role=status]").inner_text()

        member.goto(layout.staff + "/hotline")  # the session ended with the deactivation
        assert urlparse(member.url).path == "/login"
        _sign_in(member, layout, username, "/hotline", password=password)
        assert urlparse(member.url).path == "/login"  # and the login is refused
        assert member.locator("[role=alert]").inner_text() == "ユーザー名またはパスワードが違います"

        admin.goto(f"{layout.staff}/admin/users/{username}")
        trail = admin.locator("#history + table tbody tr")
        rows = [trail.nth(i).inner_text() for i in range(trail.count())]
        actions = [trail.nth(i).locator("td.action").inner_text() for i in range(trail.count())]
        assert actions == ["アカウントの無効化", "アカウントの変更", "ログイン", "アカウントの作成"], rows
        assert all(JST_TIME.search(r) for r in rows), rows
        assert "admin" in rows[0] and username in rows[2] and "admin" in rows[3]
        assert "first@example.test → changed@example.test" in rows[1], rows[1]
        assert "役割: ホットライン分析担当 → 上級分析担当" in rows[1], rows[1]

        admin.goto(f"{layout.staff}/admin/users/{username}?lang=en")
        assert admin.locator("#history").inner_text() == "Audit trail of this account"
        trail = admin.locator("#history + table tbody tr")
        assert [trail.nth(i).locator("td.action").inner_text() for i in range(trail.count())] == [
            "Account deactivated", "Account changed", "Login", "Account created"]
        assert "Role: Hotline analyst → Senior analyst" in trail.nth(1).inner_text()
        assert admin.locator("form[action$='/activate'] button[type=submit]").inner_text() == "Reactivate the account"
        admin.goto(layout.staff + "/admin/users?lang=en")
        assert admin.locator("form[action='/admin/users'] select[name=role]").input_value() == ""
        assert "no" in admin.locator("tbody tr", has_text=username).inner_text()  # active: no
    finally:
        admin_context.close()
        user_context.close()
