"""BodyLimit refuses a body it cannot measure (a Content-Length that is not a number) and one that
declares more than the ceiling, before the app reads anything."""

from __future__ import annotations

from typing import Any

import pytest
from tests.asyncrun import run_isolated

from mamoru.web.limits import BodyLimit


@pytest.mark.parametrize(("length", "status"), [(b"12x", 400), (b"999999999", 413)])
def test_bad_or_oversize_content_length_is_refused_before_the_app(length: bytes, status: int) -> None:
    reached: list[bool] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": [(b"content-length", length)]}
    run_isolated(BodyLimit(app, max_bytes=1024)(scope, receive, send))  # tests/asyncrun.py says why
    assert reached == [] and sent[0]["status"] == status
