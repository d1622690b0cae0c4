"""In headless Chromium: log in, browse the plan in both languages, amend a measure as the
coordinator, and show that an agency officer can change neither a measure nor another agency's
profile (the API refuses both too, with 403)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _login(page, server, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header form button[type=submit]")


def test_browse_both_languages(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "全 88 施策のうち 24 件を登録済み" in page.inner_text("#measure-count")
    page.click("a.lang")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "24 of 88 measures loaded" in page.inner_text("#measure-count")
    page.click("text=3. Promotion of measures to prevent")
    # A click that navigates returns before the new page is in: wait for it, not for a fixed time
    # (page.content() during the navigation was '' once in CI).
    page.wait_for_url(re.compile(r".*/pillars/3(\?.*)?$"))
    expect(page.locator("body")).to_contain_text(
        "Measures for the business operators of online dating sites and community sites")
    page.click("text=Measures for the business operators")
    page.wait_for_url(re.compile(r".*/measures/[^/]+$"))
    expect(page.locator("ol.assignments")).to_be_visible()
    assert "NPA" in page.inner_text("ol.assignments") or "National Police Agency" in page.inner_text("ol.assignments")
    page.goto(server.url + "/timeline")
    assert "Ministerial Meeting Concerning Measures Against Crime" in page.content()
    page.click("a.lang")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "犯罪対策閣僚会議" in page.content()


def test_coordinator_amends_a_measure(page, server) -> None:  # type: ignore[no-untyped-def]
    assert server.cli("user", "add", "coord", "--role", "coordinator", "--as", "admin").returncode in (0, 2)
    _login(page, server, "coord")
    page.goto(server.url + "/plans/basic-plan-2017/pillars/2?lang=en")
    page.click("text=Support for single-parent families")
    page.fill("#amend-form textarea[name=title_en]", "Support for single-parent families (amended in test)")
    page.fill("#amend-form input[name=reason]", "Wording corrected by the plan office")
    page.click("#amend-form button[type=submit]")
    assert page.inner_text("#measure-title") == "Support for single-parent families (amended in test)"
    assert "Wording corrected by the plan office" in page.inner_text("table.amendments")
    page.screenshot(path=str(server.env["MAMORU_VAR_DIR"]) + "/amended.png")


def test_agency_officer_cannot_change_measure_or_other_profile(page, server) -> None:  # type: ignore[no-untyped-def]
    r = server.cli("user", "add", "npa-officer", "--role", "agency_officer", "--agency", "NPA", "--as", "admin")
    assert r.returncode in (0, 2), r.stderr
    _login(page, server, "npa-officer")
    page.goto(server.url + "/plans/basic-plan-2017/pillars/3?lang=en")
    page.click("text=Measures for the business operators")
    assert page.locator("#amend-form").count() == 0, "no amend form for an agency officer"
    uid = page.url.rsplit("/", 1)[-1].split("?")[0]
    csrf = page.locator("header input[name=csrf_token]").get_attribute("value")
    # The page offers no form; the request anyway is refused by the server.
    resp = page.request.post(f"{server.url}/measures/{uid}/amend",
                             form={"code": "3-3", "title_en": "hijacked", "reason": "x", "csrf_token": csrf})
    assert resp.status == 403
    api = page.request.patch(f"{server.url}/api/v1/measures/{uid}", data={"title_en": "hijacked", "reason": "x"},
                             headers={"X-CSRF-Token": csrf})
    assert api.status == 403
    page.goto(server.url + "/agencies/MOJ?lang=en")
    assert page.locator("#profile-form").count() == 0
    api = page.request.put(f"{server.url}/api/v1/agencies/MOJ/profile", data={"focal_point": "not mine"},
                           headers={"X-CSRF-Token": csrf})
    assert api.status == 403
    # Their own agency's profile they keep.
    page.goto(server.url + "/agencies/NPA?lang=en")
    page.fill("#profile-form input[name=focal_point]", "Juvenile Division desk")
    page.click("#profile-form button[type=submit]")
    assert page.locator("#profile-form input[name=focal_point]").input_value() == "Juvenile Division desk"
    page.goto(server.url + f"/measures/{uid}?lang=en")
    assert "hijacked" not in page.content()


def test_coordinator_imports_measures_with_a_preview(page, server) -> None:  # type: ignore[no-untyped-def]
    """The web import: a refused row is shown (English) and nothing is offered to confirm; a good file
    shows what it adds, with its lineage, and imports on confirmation (Japanese)."""
    assert server.cli("user", "add", "coord-import", "--role", "coordinator", "--as", "admin").returncode in (0, 2)
    _login(page, server, "coord-import")
    header = "id,code,pillar,title_en,title_ja,agencies,lineage"
    bad = f"{header}\n,1-98,1,Browser test measure,ブラウザ試験の施策,NOPE,new\n".encode()
    page.goto(server.url + "/plans/basic-plan-2017?lang=en")
    page.click("#import-link")
    page.set_input_files("#import-form input[name=file]", files=[{"name": "m.csv", "mimeType": "text/csv", "buffer": bad}])
    page.click("#import-form button[type=submit]")
    assert "row 2, Agencies: unknown agency code 'NOPE'" in page.inner_text("#preview-refused")
    assert page.locator("#import-confirm").count() == 0
    good = f"{header}\n,1-98,1,Browser test measure,ブラウザ試験の施策,NPA;MIC,new\n".encode()
    page.goto(server.url + "/plans/basic-plan-2017/import?lang=ja")
    page.set_input_files("#import-form input[name=file]", files=[{"name": "m.csv", "mimeType": "text/csv", "buffer": good}])
    page.fill("#import-form input[name=reason]", "ブラウザ試験")
    page.click("#import-form button[type=submit]")
    assert "追加 1件、変更 0件" in page.inner_text("#preview-summary")
    added = page.inner_text("#preview-added")
    assert "1-98" in added and "ブラウザ試験の施策" in added and "新規" in added
    page.click("#import-confirm button[type=submit]")
    page.wait_for_url(re.compile(r".*/plans/basic-plan-2017\?imported=1$"))
    assert "ブラウザ試験の施策" in page.inner_text("#matrix")
