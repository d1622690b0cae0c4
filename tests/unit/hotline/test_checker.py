"""Removal checks against a local HTTP server: status and redirects only, HEAD first, and the SSRF
guard (loopback refused by default, private and link-local always, also after redirects; redirect
and time limits)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mamoru.hotline.checker import RemovalChecker, address_allowed
from mamoru.hotline.tracing import StaticResolver

ROUTES: dict[str, tuple[int, dict[str, str]]] = {}
SEEN: list[tuple[str, str]] = []


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        SEEN.append((self.command, self.path))
        if self.path == "/slow":
            time.sleep(3)
        status, headers = ROUTES.get(self.path, (200, {}))
        if self.command == "HEAD" and self.path.startswith("/nohead"):
            status = 405
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        body = b"x" * 5_000_000 if self.command == "GET" else b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_HEAD = do_GET = _answer  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def checker(**kw: object) -> RemovalChecker:
    resolver = StaticResolver({"public.example.test": ["203.0.113.5"], "inside.example.test": ["192.168.1.5"],
                               "mixed.example.test": ["203.0.113.6", "10.0.0.1"]})
    return RemovalChecker(resolver=resolver, **{"timeout": 5.0, "max_redirects": 3, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("addr,ok", [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("127.0.0.1", False),
                                     ("::1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.0.1", False),
                                     ("169.254.169.254", False), ("fe80::1", False), ("fc00::1", False),
                                     ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
                                     ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("192.0.2.1", False)])
def test_only_public_addresses_are_allowed(addr: str, ok: bool) -> None:
    assert address_allowed(addr) is ok


def test_default_refuses_loopback(base: str) -> None:
    SEEN.clear()
    result = checker().check(base + "/page")
    assert result.outcome == "refused" and "non-public" in result.detail
    assert SEEN == []


def test_names_resolving_to_private_addresses_are_refused_before_any_connection() -> None:
    for host in ("inside.example.test", "mixed.example.test"):
        assert checker(allow_loopback=True).check(f"http://{host}/x").outcome == "refused"


def test_present_then_removed_with_head_only(base: str) -> None:
    SEEN.clear()
    c = checker(allow_loopback=True)
    ROUTES["/item"] = (200, {})
    assert c.check(base + "/item").outcome == "present"
    ROUTES["/item"] = (404, {})
    r = c.check(base + "/item")
    assert (r.outcome, r.status_code, r.method) == ("removed", 404, "HEAD")
    assert {m for m, _ in SEEN} == {"HEAD"}


def test_get_fallback_never_reads_the_body(base: str) -> None:
    SEEN.clear()
    started = time.monotonic()
    r = checker(allow_loopback=True).check(base + "/nohead/big")
    assert (r.outcome, r.method) == ("present", "GET")
    assert [m for m, _ in SEEN] == ["HEAD", "GET"]
    assert time.monotonic() - started < 2  # 5 MB were offered; the response was closed unread


def test_redirects_are_followed_checked_and_limited(base: str) -> None:
    c = checker(allow_loopback=True)
    ROUTES["/moved"] = (301, {"Location": "/gone"})
    ROUTES["/gone"] = (410, {})
    r = c.check(base + "/moved")
    assert r.outcome == "removed" and r.redirects == [base + "/gone"]
    ROUTES["/to-metadata"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"})
    assert c.check(base + "/to-metadata").outcome == "refused"
    ROUTES["/to-private-name"] = (302, {"Location": "http://inside.example.test/"})
    assert c.check(base + "/to-private-name").outcome == "refused"
    ROUTES["/loop"] = (302, {"Location": "/loop"})
    r = c.check(base + "/loop")
    assert r.outcome == "inconclusive" and len(r.redirects) == 4


def test_time_limit_and_vanished_names(base: str) -> None:
    r = checker(allow_loopback=True, timeout=0.5).check(base + "/slow")
    assert r.outcome == "error" and "timed out" in r.detail
    assert checker().check("http://nowhere.example.test/").outcome == "removed"
    assert checker().check("ftp://public.example.test/").outcome == "refused"
