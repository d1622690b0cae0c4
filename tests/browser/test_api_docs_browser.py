"""The API documentation page renders its operations in Chromium from mamoru's own files: every
request outside the server is blocked, and nothing breaks mamoru's Content-Security-Policy."""

from __future__ import annotations

import time
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
    spec = page.request.get(f"{server.url}/api/v1/openapi.json").json()
    expected = {(m.upper(), path) for path, item in spec["paths"].items() for m in item
                if m in ("get", "post", "put", "patch", "delete")}
    page.goto(f"{server.url}/api/v1/docs", wait_until="networkidle")
    page.wait_for_selector(".opblock", timeout=30_000)
    # Swagger UI renders only the operations near the viewport: scroll through and collect each one.
    seen: set[tuple[str, str]] = set()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for block in page.locator(".opblock-summary").all():
            method = block.locator(".opblock-summary-method").inner_text().strip()
            path = block.locator(".opblock-summary-path").get_attribute("data-path") or ""
            seen.add((method, path))
        at_end = page.evaluate("window.innerHeight + window.scrollY >= document.body.scrollHeight - 2")
        if seen >= expected or at_end:
            break
        page.mouse.wheel(0, 500)
        page.wait_for_timeout(150)
    assert len(expected) > 50 and expected - seen == set(), sorted(expected - seen)[:10]
    assert outside == [] and problems == [], (outside, problems)
    page.close()
