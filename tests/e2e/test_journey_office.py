"""Journey 5 of issue 12, end to end in Chromium through the production layout (tests/production.py):

A ministry officer enters progress on her measures, is returned one with a comment, resubmits; the
coordinator accepts and publishes; the public portal and the downloadable PDF (Japanese and English,
linked from the portal) show accepted entries only.

The accounts are made with the CLI (what the administrator runs); the coordinator opens the round,
reviews and publishes on the staff listener's pages in English; the officer of the National Police
Agency works in Japanese; the public reads the portal and downloads both PDFs on the public listener.
Every entry's text carries its own distinctive word, so that what must stay off the portal (the
draft, the text that was returned and replaced) can be looked for.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import unique_user
from tests.production import ProductionLayout

from mamoru.periods import JST

pytestmark = pytest.mark.browser

TIMEOUT = 60_000  # ms: two shared, busy cores
# The journey runs in the layout every end-to-end module shares (tests/e2e/conftest.py), which needs
# no setting for it. It is the only test there that opens a reporting round (rounds may not share a
# fiscal year: a second module opening FY2024 there would be refused) and that publishes one; it
# follows its own round by its id, and its coordinator and officer are users of its own.
FY = "2024"

# (Japanese, English) text of each entry, each with a word found nowhere else
FIRST = ("サイバーパトロールを強化した（カワセミ）。", "Cyber patrols were strengthened (Kingfisher).")
FIRST_RETURNED = ("サイバーパトロールを実施した（ハヤブサ）。", "Cyber patrols were carried out (Falcon).")
SECOND = ("被害児童の早期発見に努めた（ツグミ）。", "Child victims were found earlier (Thrush).")
DRAFT = ("まだ提出していない下書き（フクロウ）。", "A draft not yet submitted (Owl).")
COMMENT = "検挙件数を追記してください（モズ）。"


@pytest.fixture
def people(layout: ProductionLayout) -> dict[str, str]:
    """The journey's coordinator and officer of the National Police Agency (NPA)."""
    return {"coordinator": unique_user(layout, "coordinator"), "officer": unique_user(layout, "agency_officer", agency="NPA")}


def _context(browser: Any, lang: str) -> Any:
    locale = {"ja": "ja-JP", "en": "en-GB"}[lang]
    context = browser.new_context(locale=locale, extra_http_headers={"Accept-Language": lang}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    context.set_default_navigation_timeout(TIMEOUT)
    return context


def _sign_in(page: Any, layout: ProductionLayout, username: str) -> None:
    page.goto(f"{layout.staff}/login?next=/followup")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def _click(page: Any, selector: str) -> None:
    """Click a form's button and wait for the page that answers it."""
    with page.expect_navigation():
        page.click(selector)


def _fill_entry(page: Any, status: str, text: tuple[str, str]) -> None:
    page.select_option("#entry-form select[name=status]", status)
    page.fill("#entry-form textarea[name=narrative_ja]", text[0])
    page.fill("#entry-form textarea[name=narrative_en]", text[1])


def _pdf_text(path: Path, layout_mode: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout_mode else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def _summary_total(text: str, heading: str, chart: str) -> int:
    """The sum of the counts in the PDF's summary table (between its heading and the chart after it;
    pillar numbers "1." are not counts). The heading's last place before the chart: the table of
    contents names it first, with its page number; the page's number is left out when the chart is on the
    next page."""
    end = text.index(chart)
    section = re.sub(r"(?m)^\s*\d+\s*/\s*\d+\s*$", "", text[text.rindex(heading, 0, end): end])  # page numbers
    return sum(int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", section))


def _open_round(browser: Any, layout: ProductionLayout, coordinator: str) -> str:
    """The coordinator opens a round on the staff listener; returns the round page's path."""
    context = _context(browser, "en")
    page = context.new_page()
    try:
        _sign_in(page, layout, coordinator)
        page.goto(layout.staff + "/followup?lang=en")
        page.fill("#open-round input[name=fy]", FY)
        page.fill("#open-round input[name=due]", (date.today() + timedelta(days=60)).isoformat())
        _click(page, "#open-round button[type=submit]")
        assert page.inner_text("#round-state") == "Open"
        path = page.url.removeprefix(layout.staff)
        assert re.fullmatch(r"/followup/rounds/\d+", path), page.url
        return path
    finally:
        context.close()


def _officer_reports(browser: Any, layout: ProductionLayout, officer: str, round_path: str) -> list[str]:
    """In Japanese: two entries submitted, a third saved as a draft; returns the three entries' paths."""
    context = _context(browser, "ja")
    page = context.new_page()
    try:
        _sign_in(page, layout, officer)
        page.click(f"#rounds a[href='{round_path}']")
        page.wait_for_selector("#my-entries")
        assert page.locator("html").get_attribute("lang") == "ja"
        links = page.locator("#my-entries a")
        assert links.count() >= 3
        entries = [links.nth(i).get_attribute("href") or "" for i in range(3)]
        for path, status, text in ((entries[0], "implemented", FIRST_RETURNED), (entries[1], "in_progress", SECOND)):
            page.goto(layout.staff + path)
            _fill_entry(page, status, text)
            _click(page, "#submit-entry")
            assert page.inner_text("#entry-state") == "提出済み"
        page.goto(layout.staff + entries[2])
        _fill_entry(page, "in_progress", DRAFT)
        _click(page, "#entry-form button[value=save]")
        assert page.inner_text("#entry-state") == "下書き"
        return entries
    finally:
        context.close()


def _coordinator(browser: Any, layout: ProductionLayout, coordinator: str, round_path: str, entries: list[str],
                 step: str) -> None:
    context = _context(browser, "en")
    page = context.new_page()
    try:
        _sign_in(page, layout, coordinator)
        if step == "return":
            page.goto(f"{layout.staff}{round_path}/entries?state=submitted&lang=en")
            submitted = {page.locator("a[href^='/followup/entries/']").nth(i).get_attribute("href")
                         for i in range(page.locator("a[href^='/followup/entries/']").count())}
            assert submitted == set(entries[:2]), submitted
            page.goto(f"{layout.staff}{entries[0]}?lang=en")
            page.fill("#review-form textarea[name=comment]", COMMENT)
            _click(page, "#return-entry")
            assert page.inner_text("#entry-state") == "Returned"
            return
        for path in entries[:2]:
            page.goto(f"{layout.staff}{path}?lang=en")
            _click(page, "#accept-entry")
            assert page.inner_text("#entry-state") == "Accepted"
        page.goto(f"{layout.staff}{round_path}?lang=en")
        _click(page, "#publish-form button")
        summary = page.inner_text("#publish-summary")
        total = int(re.search(r"Accepted 2 of (\d+) entries", summary).group(1))  # type: ignore[union-attr]
        assert total > 3, summary  # every agency's entries, most still drafts
        npa = page.locator("#publish-by-agency tr[data-agency=NPA] td")
        assert npa.nth(1).inner_text() == "2" and int(npa.nth(2).inner_text()) >= 3
        assert page.inner_text("#publish-confirm") == "Publish 2 accepted entries"
        _click(page, "#publish-confirm")
        assert page.inner_text("#round-state") == "Published"
    finally:
        context.close()


def _officer_resubmits(browser: Any, layout: ProductionLayout, officer: str, entry: str) -> None:
    context = _context(browser, "ja")
    page = context.new_page()
    try:
        _sign_in(page, layout, officer)
        page.goto(layout.staff + entry)
        assert page.inner_text("#entry-state") == "差戻し"
        notice = page.inner_text("#return-comment")
        assert "計画事務局からの差戻し" in notice and COMMENT in notice  # the comment, under a Japanese label
        _fill_entry(page, "implemented", FIRST)
        _click(page, "#submit-entry")
        assert page.inner_text("#entry-state") == "提出済み"
    finally:
        context.close()


def _portal(browser: Any, layout: ProductionLayout, round_path: str, tmp: Path) -> dict[str, Path]:
    """The public reads the published round in Japanese and downloads both PDFs; returns them."""
    context = _context(browser, "ja")
    page = context.new_page()
    try:
        page.goto(layout.public + "/portal")
        portal_path = "/portal/rounds/" + round_path.rsplit("/", 1)[1]
        page.click(f"#published-rounds a[href='{portal_path}']")
        page.wait_for_selector("#portal-round-title")
        assert page.url.removeprefix(layout.public) == portal_path, page.url
        body = page.inner_text("main")
        assert FIRST[0] in body and SECOND[0] in body
        for absent in (DRAFT[0], FIRST_RETURNED[0], COMMENT):
            assert absent not in body, absent
        current = page.locator(".portal-nav a[aria-current=page]")
        assert current.count() == 1 and current.get_attribute("href") == "/portal"
        assert current.inner_text() == "プランの実施状況"
        assert re.search(r"公表日時: \d{4}-\d\d-\d\d \d\d:\d\d JST", body)
        pdfs = {}
        for lang in ("ja", "en"):
            link = page.locator(f"#report-downloads a[hreflang={lang}]")
            href = link.get_attribute("href") or ""
            assert href.endswith(f"/report-{lang}.pdf"), href
            with page.expect_download(timeout=TIMEOUT * 3) as download:
                link.click()
            pdfs[lang] = tmp / f"report-{lang}.pdf"
            download.value.save_as(pdfs[lang])
            # the download went through the public listener, to the portal process
            r = httpx.get(layout.public + href, timeout=180)
            assert r.status_code == 200 and r.content.startswith(b"%PDF")
            assert layout.answered_by(r) == layout.upstream("portal")
        return pdfs
    finally:
        context.close()


def test_an_officer_reports_is_returned_resubmits_and_the_published_report_shows_accepted_only(
        layout: ProductionLayout, people: dict[str, str], browser: Any, tmp_path: Path) -> None:
    coordinator, officer = people["coordinator"], people["officer"]
    round_path = _open_round(browser, layout, coordinator)
    entries = _officer_reports(browser, layout, officer, round_path)
    _coordinator(browser, layout, coordinator, round_path, entries, "return")
    _officer_resubmits(browser, layout, officer, entries[0])
    _coordinator(browser, layout, coordinator, round_path, entries, "publish")
    pdfs = _portal(browser, layout, round_path, tmp_path)

    now = datetime.now(JST)
    for lang, (heading, chart) in {"ja": ("概要", "柱別の状況"), "en": ("Summary", "Status by pillar")}.items():
        text = _pdf_text(pdfs[lang])
        i = 0 if lang == "ja" else 1
        assert FIRST[i] in text.replace("\n", "") and SECOND[i] in text.replace("\n", ""), text[:3000]
        for absent in (DRAFT[i], FIRST_RETURNED[i], "Owl", "フクロウ", "Falcon", "ハヤブサ"):
            assert absent not in text, (lang, absent)
        assert "草案" not in text and "DRAFT" not in text
        assert _summary_total(_pdf_text(pdfs[lang], layout_mode=True), heading, chart) == 2, lang
        published = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d) JST", text)
        assert published, text[:2000]
        at = datetime.strptime(published.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=JST)
        assert abs(now - at) < timedelta(minutes=30), (at, now)  # Japan time, not UTC
    # the staff pages stay off the public listener
    assert httpx.get(layout.public + round_path, timeout=60).status_code == 404
