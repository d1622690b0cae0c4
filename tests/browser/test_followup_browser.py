"""A whole reporting round in headless Chromium: the coordinator opens it, two agency officers submit,
one entry is returned and resubmitted, the coordinator accepts and publishes, and the public portal
shows it (without logging in). Awareness material: added as a draft, published, shown on the portal
in both languages."""

from __future__ import annotations

import re

import pytest
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _login(page, server, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def _submit(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click a form's button and wait for the page the server redirects to."""
    with page.expect_navigation():
        page.click(selector)


def _report(page, server, round_url: str, narrative: str) -> str:  # type: ignore[no-untyped-def]
    """As an agency officer: open the first own entry, fill it in and submit it; returns its URL."""
    page.goto(round_url + "?lang=en")
    page.click("#my-entries a >> nth=0")
    entry_url = page.url
    page.select_option("#entry-form select[name=status]", "implemented")
    page.fill("#entry-form textarea[name=narrative_ja]", narrative)
    page.fill("#entry-form textarea[name=narrative_en]", "Done as planned.")
    _submit(page, "#submit-entry")
    assert page.inner_text("#entry-state") == "Submitted", page.inner_text("main")
    assert page.locator("#entry-form").count() == 0  # locked
    return str(entry_url)


def test_whole_round(page, server) -> None:  # type: ignore[no-untyped-def]
    for args in (("office", "coordinator"), ("npa-rep", "agency_officer", "NPA"), ("mic-rep", "agency_officer", "MIC")):
        extra = ["--agency", args[2]] if len(args) == 3 else []
        r = server.cli("user", "add", args[0], "--role", args[1], *extra, "--as", "admin")
        assert r.returncode in (0, 2), r.stderr
    _login(page, server, "office")
    page.goto(server.url + "/followup?lang=en")
    page.fill("#open-round input[name=fy]", "2024")
    page.fill("#open-round input[name=due]", "2030-07-31")  # a past due date is refused
    _submit(page, "#open-round button[type=submit]")
    page.wait_for_url(re.compile(r".*/followup/rounds/\d+$"))
    round_url = page.url
    assert "FY2024" in page.inner_text("#round-title") or "令和6年度" in page.inner_text("#round-title")

    _login(page, server, "npa-rep")
    npa_entry = _report(page, server, round_url, "警察庁として取締りを強化した。")
    _login(page, server, "mic-rep")
    mic_entry = _report(page, server, round_url, "総務省としてフィルタリングの普及啓発を行った。")

    _login(page, server, "office")
    page.goto(npa_entry + "?lang=en")
    page.fill("#review-form textarea[name=comment]", "検挙件数を追記してください")
    _submit(page, "#return-entry")
    assert page.inner_text("#entry-state") == "Returned"

    _login(page, server, "npa-rep")
    page.goto(npa_entry + "?lang=en")
    assert "検挙件数を追記してください" in page.inner_text("#return-comment")
    page.fill("#entry-form textarea[name=narrative_ja]", "警察庁として取締りを強化した（検挙3,035件）。")
    _submit(page, "#submit-entry")
    assert page.inner_text("#entry-state") == "Submitted"

    _login(page, server, "office")
    for url in (npa_entry, mic_entry):
        page.goto(url + "?lang=en")
        _submit(page, "#accept-entry")
        assert page.inner_text("#entry-state") == "Accepted", page.inner_text("main")[:600]
    page.goto(npa_entry + "?lang=en")
    assert page.locator("#versions tbody tr").count() == 6  # save, submit, return, save, submit, accept
    page.goto(round_url + "?lang=en")
    _submit(page, "#publish-form button")
    assert "Accepted 2 of" in page.inner_text("#publish-summary")  # the confirmation: what will be published
    _submit(page, "#publish-confirm")
    assert page.inner_text("#round-state") == "Published"

    page.context.clear_cookies()
    page.goto(server.url + "/portal?lang=ja")
    page.click("#published-rounds a >> nth=0")
    body = page.inner_text("main")
    assert "警察庁として取締りを強化した（検挙3,035件）。" in body
    assert "総務省としてフィルタリングの普及啓発を行った。" in body
    page.goto(server.url + "/portal/help?lang=ja")
    assert "189" in page.inner_text("main") and "#8891" in page.inner_text("main")
    _the_record_and_open_data(page, server, round_url)


def _the_record_and_open_data(page, server, round_url: str) -> None:  # type: ignore[no-untyped-def]
    """After publication: the office corrects the report with an erratum (the original stays); the public
    reads it on the portal, follows a measure to its history, and finds the open data, in ja and en."""
    _login(page, server, "office")
    page.goto(round_url + "?lang=ja")
    _submit(page, "#errata-link")
    page.select_option("#erratum-form select[name=entry]", index=1)
    page.fill("#erratum-form textarea[name=text_ja]", "正しくは2024年度後半に実施")
    page.fill("#erratum-form input[name=reason]", "時期の誤記")
    _submit(page, "#erratum-form button[type=submit]")
    assert "時期の誤記" in page.inner_text("#errata-table")
    page.context.clear_cookies()
    page.goto(server.url + "/portal?lang=ja")
    _submit(page, "#published-rounds a >> nth=0")
    assert "正しくは2024年度後半に実施" in page.inner_text("#errata")
    _submit(page, "main h3 a[href^='/portal/measures/'] >> nth=0")
    history = page.inner_text("#measure-history")
    assert "施策の経過" in history and ("警察庁として" in history or "総務省として" in history), history
    page.goto(page.url.split("?")[0] + "?lang=en")
    assert "History of the measure" in page.inner_text("#measure-history")
    page.goto(server.url + "/portal/data?lang=ja")
    assert page.inner_text("h1") == "オープンデータ" and "公共データ利用規約" in page.inner_text("#licence")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d JST", page.inner_text("#last-change"))
    href = page.get_attribute("#datasets tr[data-dataset^='round-'] a[type='text/csv']", "href")
    got = page.request.get(server.url + str(href))
    assert got.ok and "警察庁として取締りを強化した（検挙3,035件）。" in got.text()
    page.goto(server.url + "/portal/data?lang=en")
    assert page.inner_text("h1") == "Open data" and "Public Data License" in page.inner_text("#licence")


def test_awareness_material_published_to_the_portal(page, server) -> None:  # type: ignore[no-untyped-def]
    """The coordinator adds material linked to a measure (a draft the portal does not show), publishes it,
    and the public portal's awareness page shows it in Japanese and in English, linked to the measure."""
    r = server.cli("user", "add", "office", "--role", "coordinator", "--as", "admin")
    assert r.returncode in (0, 2), r.stderr  # 2: made by the test above
    _login(page, server, "office")
    page.goto(server.url + "/followup/materials?lang=en")
    form = "#material-form"
    page.select_option(f"{form} select[name=measure]", index=1)
    measure_uid = page.eval_on_selector(f"{form} select[name=measure]", "s => s.value")
    page.select_option(f"{form} select[name=agency]", "MIC")
    page.fill(f"{form} input[name=title_ja]", "スマホのフィルタリング 保護者向けガイド")
    page.fill(f"{form} input[name=title_en]", "Phone filtering: a guide for parents")
    page.fill(f"{form} input[name=url]", "https://www.soumu.go.jp/main_sosiki/joho_tsusin/kyouiku_joho-ka/jyouhou_tsusin.html")
    _submit(page, f"{form} button[type=submit]")
    row = page.locator("#materials tr[data-state]", has_text="Phone filtering: a guide for parents")
    assert row.get_attribute("data-state") == "draft", page.inner_text("main")[:600]
    material_row = str(row.get_attribute("id"))

    page.context.clear_cookies()
    page.goto(server.url + "/portal/awareness?lang=ja")
    assert "スマホのフィルタリング" not in page.inner_text("main")  # a draft stays off the portal

    _login(page, server, "office")
    page.goto(server.url + "/followup/materials?lang=ja")
    _submit(page, f"#{material_row} .publish-material")
    assert page.get_attribute(f"#{material_row}", "data-state") == "published"

    page.context.clear_cookies()
    page.goto(server.url + "/portal/awareness?lang=ja")
    item = page.locator("#materials li", has_text="スマホのフィルタリング 保護者向けガイド")
    assert "総務省" in item.inner_text()
    assert item.locator(f'a[href="/measures/{measure_uid}"]').count() == 1
    page.goto(server.url + "/portal/awareness?lang=en")
    item = page.locator("#materials li", has_text="Phone filtering: a guide for parents")
    assert "Ministry of Internal Affairs and Communications" in item.inner_text()
    assert item.locator(f'a[href="/measures/{measure_uid}"]').count() == 1
