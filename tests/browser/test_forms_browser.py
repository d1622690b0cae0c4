"""In Chromium, in Japanese: a form sent after the session ended comes back filled after the login
(a follow-up form and a hotline form), and the administrator's journey with an account (create
with no role preselected and an e-mail, change, deactivate, reactivate, read its audit trail)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text
from tests.conftest import TEST_PASSWORD

from mamoru.db import normalize_url

pytestmark = pytest.mark.browser


def _login(page, server, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def _end_sessions(server) -> None:  # type: ignore[no-untyped-def]
    """The session ends while the user types (as if it expired): its row is deleted."""
    engine = create_engine(normalize_url(server.env["MAMORU_DATABASE_URL"]))
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM web_sessions"))
    finally:
        engine.dispose()


def _user(server, username: str, role: str) -> None:  # type: ignore[no-untyped-def]
    r = server.cli("user", "add", username, "--role", role, "--as", "admin")
    assert r.returncode in (0, 2), r.stderr


def _expired_journey(page, server, username: str, path: str, form: str, typed: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    _login(page, server, username)
    page.goto(server.url + path)
    for selector, value in typed.items():
        page.fill(f"{form} {selector}", value)
    _end_sessions(server)
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    page.wait_for_url(re.compile(r".*/login\?next=.*ended=1$"))
    assert "入力した内容は保持され" in page.inner_text("main")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url == server.url + path
    for selector, value in typed.items():
        assert page.input_value(f"{form} {selector}") == value, selector
    assert "もう一度送信してください" in page.inner_text("main")


def test_a_follow_up_form_survives_an_expired_session(page, server) -> None:  # type: ignore[no-untyped-def]
    _user(server, "forms-coord", "coordinator")
    _expired_journey(page, server, "forms-coord", "/followup/meetings", "#meeting-form", {
        "input[name=held_on]": "2025-04-01", "input[name=title_ja]": "第12回推進会議",
        "textarea[name=agenda]": "基本計画の進捗 | Progress of the plan"})


def test_a_hotline_form_survives_an_expired_session(page, server) -> None:  # type: ignore[no-untyped-def]
    _user(server, "forms-analyst", "analyst")
    _expired_journey(page, server, "forms-analyst", "/hotline/providers", "#provider-add", {
        "input[name=name]": "例示ホスティング株式会社", "input[name=abuse_email]": "abuse@hosting.example.test",
        "input[name=networks]": "EXAMPLE-NET"})


def test_the_administrators_account_journey_in_japanese(page, server) -> None:  # type: ignore[no-untyped-def]
    _login(page, server, "admin")
    page.goto(server.url + "/admin/users?lang=ja")
    form = "form[action='/admin/users']"
    assert page.input_value(f"{form} select[name=role]") == ""  # no role preselected
    page.fill(f"{form} input[name=username]", "suzuki")
    page.select_option(f"{form} select[name=role]", "auditor")
    page.fill(f"{form} input[name=display_name]", "鈴木")
    page.fill(f"{form} input[name=email]", "suzuki@example.jp")
    page.fill(f"{form} input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    with page.expect_navigation():
        page.click("a[href='/admin/users/suzuki']")
    assert "suzuki@example.jp" in page.inner_text("main")
    edit = "form[action='/admin/users/suzuki/edit']"
    page.fill(f"{edit} input[name=email]", "suzuki.hanako@example.jp")
    page.fill(f"{edit} input[name=display_name]", "鈴木 花子")
    with page.expect_navigation():
        page.click(f"{edit} button[type=submit]")
    assert "アカウントを変更しました。" in page.inner_text("main")
    assert "suzuki.hanako@example.jp" in page.inner_text("main")
    off = "form[action='/admin/users/suzuki/deactivate']"
    page.check(f"{off} input[name=confirm]")
    with page.expect_navigation():
        page.click(f"{off} button[type=submit]")
    assert "アカウントを無効にしました" in page.inner_text("main")
    with page.expect_navigation():
        page.click("form[action='/admin/users/suzuki/activate'] button[type=submit]")
    assert "アカウントを再び有効にしました。" in page.inner_text("main")
    trail = page.inner_text("table.audit")
    for action in ("アカウントの作成", "アカウントの変更", "アカウントの無効化", "アカウントの再有効化"):  # in words, not codes
        assert action in trail
    assert "このアカウントの監査記録" in page.inner_text("main")
