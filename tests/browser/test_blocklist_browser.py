"""In headless Chromium: an analyst proposes a domain with all four listing criteria, cannot confirm
it (the page says why), a senior analyst confirms it, and `mamoru blocklist export --format rpz`
then holds the domain and its wildcard; the public notice page for blocked names answers."""

from __future__ import annotations

import re

import pytest
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser
DOMAIN = "distribution-site.example"


def _login(page, server, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def test_four_eyes_from_proposal_to_rpz(page, server) -> None:  # type: ignore[no-untyped-def]
    for name, role in (("bl-analyst", "analyst"), ("bl-senior", "senior_analyst")):
        r = server.cli("user", "add", name, "--role", role, "--as", "admin")
        assert r.returncode == 0, r.stderr

    _login(page, server, "bl-analyst")
    page.goto(server.url + "/blocklist/propose?lang=en")
    page.check("input[name=kind][value=domain]")
    page.fill("input[name=value]", DOMAIN.upper())
    page.fill("textarea[name=reason]", "distribution site; operator ignores deletion requests")
    for c in ("purpose", "confirmed", "same-operator", "no-alternative"):
        page.check(f"input[name=criteria][value={c}]")
    page.click("form[action='/blocklist/propose'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/blocklist/entries/\d+$"))
    entry_url = page.url
    assert page.inner_text("dd.url") == DOMAIN
    assert page.locator("form[action$='/confirm']").count() == 0
    assert "You proposed this entry" in page.inner_text("#refusal")
    page.goto(entry_url + "?lang=ja")
    assert "このエントリはあなたが提案したもの" in page.inner_text("#refusal")

    _login(page, server, "bl-senior")
    page.goto(entry_url + "?lang=en")
    page.click("form[action$='/confirm'] button[type=submit]")
    page.wait_for_url(entry_url)
    assert page.inner_text("#status") == "On the list"

    rpz = server.cli("blocklist", "export", "--format", "rpz")
    assert rpz.returncode == 0, rpz.stderr
    names = {line.split()[0] for line in rpz.stdout.splitlines() if " CNAME " in f" {line} "}
    assert {DOMAIN, f"*.{DOMAIN}"} <= names

    page.context.clear_cookies()
    page.goto(server.url + "/blocked?lang=en")
    assert "Basic Plan" in page.inner_text("main") and DOMAIN not in page.content()
