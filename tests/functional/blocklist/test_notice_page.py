"""The public notice page that blocked names point to: both languages, the appeal route, nothing
about the address asked for, not cached, served by the public process role."""

from __future__ import annotations

from tests.settings_support import with_domain

from mamoru.blocklist.settings import BlocklistSettings
from mamoru.web.app import routers_for_role


def test_notice_page_is_public_and_says_only_what_it_should(client, settings) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/blocked?lang=en", headers={"Host": "listed-site.example"})
    assert r.status_code == 200
    assert "on the blocking list maintained under the Basic Plan" in r.text and "How to appeal" in r.text
    assert "listed-site" not in r.text  # the name asked for is never echoed
    assert r.headers["cache-control"] == "no-store" and r.headers["x-robots-tag"] == "noindex"
    assert "ブロッキングリストに掲載されています" in client.get("/blocked?lang=ja").text
    assert "インターネット・ホットライン" in client.get("/blocked?lang=ja").text

    client.app.state.settings = with_domain(settings, BlocklistSettings, appeal_contact="appeals@hotline.example")
    assert 'href="mailto:appeals@hotline.example"' in client.get("/blocked?lang=en").text


def test_public_process_role_serves_the_notice() -> None:
    paths = {getattr(route, "path", "") for r in routers_for_role("portal") for route in r.routes}
    assert "/blocked" in paths and "/blocklist" not in paths
