"""HEAD is answered wherever GET is: the same status and headers, no body (RFC 9110 9.3.2). The
documented front (the portal: GET and HEAD) and monitors rely on it."""

from __future__ import annotations

from typing import Any


def test_head_answers_as_get_without_a_body(client: Any) -> None:
    for path in ("/portal", "/api/v1/health", "/api/v1/plans", "/report", "/static/mamoru.css", "/login"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers.get("content-security-policy") == got.headers.get("content-security-policy"), path
    assert client.head("/no-such-page").status_code == 404
    assert client.post("/api/v1/health").status_code == 405  # other methods are as they were
