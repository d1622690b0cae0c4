"""Journeys end to end in Chromium through the production layout (issue 12): one layout
(tests/production.py: deploy/Procfile behind the real nginx) and one browser for the module.

1. A member of the public, on a phone-sized screen in Japanese, reports an address through the
   public listener's /report and gets a receipt number on the page. (Issue 12 also asks to look the
   report's status up with the receipt; mamoru has no such page yet, so that half is not here.)

Only benign data: addresses under example.test and random hex hashes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.production import ProductionLayout, needed, production_layout

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 60_000  # ms: two shared, busy cores
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionLayout]:
    with production_layout(tmp_path_factory.mktemp("journeys")) as running:
        running.add_user("journey-platform", "platform")
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        needed("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


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
        host = f"journey-{secrets.token_hex(4)}.example.test"
        page.fill("input[name=url]", f"http://{host}/page")
        with page.expect_navigation():
            page.click("#report-form button[type=submit]")
        assert page.locator("h1").inner_text() == "通報を受け付けました"
        receipt = page.locator("#receipt").inner_text().strip()
        assert re.fullmatch(r"[A-Za-z0-9-]{6,}", receipt), receipt
        assert host not in page.content()  # the receipt page does not echo the reported address
    finally:
        context.close()
