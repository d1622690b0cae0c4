"""The API documentation page renders its operations in Chromium from mamoru's own files: every
request outside the server is blocked, and nothing breaks mamoru's Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


def test_api_docs_render_every_operation_without_outside_requests(server, browser) -> None:  # type: ignore[no-untyped-def]
    origin = urlparse(server.url).netloc
    outside: list[str] = []
    problems: list[str] = []
    page = browser.new_page()

    def route(r):  # type: ignore[no-untyped-def]
        if urlparse(r.request.url).netloc != origin:
            outside.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{server.url}/api/v1/docs", wait_until="networkidle")
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = page.locator(".opblock").count()
    spec = page.request.get(f"{server.url}/api/v1/openapi.json").json()
    expected = sum(len([m for m in item if m in ("get", "post", "put", "patch", "delete")])
                   for item in spec["paths"].values())
    assert operations == expected > 50
    assert "/api/v1/match" in page.content() and "/api/v1/hotline/cases" in page.content()
    assert outside == [] and problems == [], (outside, problems)
    page.close()
