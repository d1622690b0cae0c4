"""The staff pages' main navigation marks the section that is open (aria-current="page", read out by
screen readers, and a visible style), as the portal's own navigation does: on the section's page and
on the pages below it, and no other link."""

from __future__ import annotations

import re

import pytest

from mamoru.web.app import STATIC_DIR

NAV = re.compile(r'<nav class="main"[^>]*>(.*?)</nav>', re.S)


def _current(html: str) -> list[str]:
    found = NAV.search(html)
    assert found, html[:400]
    return re.findall(r'<a href="([^"]+)" aria-current="page">', found.group(1))


@pytest.mark.parametrize(("role", "path", "section"), [
    ("administrator", "/followup", "/followup"),
    ("administrator", "/audit", "/audit"),
    ("administrator", "/admin/users", "/admin/users"),
    ("administrator", "/admin/outbox", "/admin/outbox"),
    ("administrator", "/blocklist/review", "/blocklist"),
    ("analyst", "/hotline", "/hotline"),
    ("analyst", "/matching", "/matching"),
    ("analyst", "/agencies/NPA", "/agencies"),
    ("analyst", "/plans/basic-plan-2017/pillars/3", "/"),
    ("analyst", "/timeline", "/timeline"),
])
def test_the_open_section_is_marked_in_the_main_nav(client, loaded, make_user, login_as,  # type: ignore[no-untyped-def]
                                                    role: str, path: str, section: str) -> None:
    login_as(make_user(role))
    for lang in ("ja", "en"):
        r = client.get(f"{path}?lang={lang}")
        assert r.status_code == 200, (path, r.text[:300])
        assert _current(r.text) == [section], (path, lang)


def test_a_page_of_no_section_marks_none_and_the_mark_is_visible(client, loaded, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(make_user("analyst"))
    assert _current(client.get("/account").text) == []
    assert _current(client.get("/").text) == ["/"]
    css = (STATIC_DIR / "mamoru.css").read_text()
    assert re.search(r'header\.site nav a\[aria-current="page"\] \{[^}]*border-bottom: 3px solid', css)


def test_links_to_the_other_listener_follow_the_configured_addresses(client) -> None:  # type: ignore[no-untyped-def]
    """In the production layout the public pages and the staff pages are on two listeners: the public
    pages' Log in goes to the staff listener, the staff pages' report link to the public one
    (MAMORU_STAFF_URL, MAMORU_PUBLIC_URL). Unset (`make run`: one address), they stay relative."""
    import dataclasses

    page = client.get("/portal").text
    assert 'href="/login?next=/portal"' in page and 'href="/report"' in page
    settings = client.app.state.settings
    client.app.state.settings = dataclasses.replace(settings, public_url="https://mamoru.example.test",
                                                    staff_url="https://staff.example.test")
    try:
        page = client.get("/portal").text
    finally:
        client.app.state.settings = settings
    assert 'href="https://staff.example.test/login"' in page and 'href="/login' not in page
    assert 'href="https://mamoru.example.test/report"' in page and 'href="/report"' not in page


@pytest.mark.parametrize("value", ["mamoru.example.test", "ftp://x.example.test", "https://x.example.test/path"])
def test_a_listener_address_is_a_scheme_and_host_only(value: str) -> None:
    from mamoru.config import Settings

    with pytest.raises(ValueError, match="MAMORU_PUBLIC_URL"):
        Settings.from_env({"MAMORU_PUBLIC_URL": value})
