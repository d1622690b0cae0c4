"""Removal checks against a local HTTP server: status and redirects only, HEAD first, and the SSRF
guard (loopback refused by default, private and link-local always, also after redirects; redirect
and time limits)."""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mamoru.hotline import vocabulary
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
    assert 0 < r.bytes_read < 1000  # the two status lines and headers, no body byte


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
    assert checker().check("ftp://public.example.test/").outcome == "refused"


def test_a_name_that_does_not_resolve_is_a_failed_check_never_removal() -> None:
    r = checker().check("http://nowhere.example.test/")
    assert r.outcome == "error" and "does not resolve" in r.detail and "not taken as removal" in r.detail


class RecordingResolver(StaticResolver):
    asked: list[str]

    def resolve(self, host: str) -> list[str]:
        self.asked.append(host)
        return super().resolve(host)


NUMERIC_LOOPBACK = ["2130706433", "0x7f.1", "127.1", "0177.0.0.1", "0x7f000001", "0177.1", "127.0.1"]


@pytest.mark.parametrize("host", NUMERIC_LOOPBACK)
def test_numeric_hosts_are_addresses_refused_like_any_other(base: str, host: str) -> None:
    """`http://2130706433:PORT/ok` went to DNS as a name, got NXDOMAIN and counted as removed while the
    content answered 200. It is 127.0.0.1, as the canonicaliser reads it: refused, no lookup, nothing sent."""
    SEEN.clear()
    port = base.rsplit(":", 1)[1]
    resolver = RecordingResolver({})
    resolver.asked = []
    r = RemovalChecker(resolver=resolver, timeout=5.0).check(f"http://{host}:{port}/ok")
    assert (r.outcome, SEEN, resolver.asked) == ("refused", [], [])
    assert "127.0.0.1" in r.detail and "non-public" in r.detail


@pytest.mark.parametrize("host", NUMERIC_LOOPBACK)
def test_numeric_hosts_reach_the_address_they_name(base: str, host: str) -> None:
    """With loopback allowed (tests only) the numeric form reaches the local server: present, not removed."""
    SEEN.clear()
    port = base.rsplit(":", 1)[1]
    r = checker(allow_loopback=True).check(f"http://{host}:{port}/ok")
    assert (r.outcome, r.status_code, SEEN) == ("present", 200, [("HEAD", "/ok")])


def test_a_redirect_to_a_numeric_host_is_filtered_as_an_address(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    c = checker(allow_loopback=True)
    ROUTES["/to-numeric-private"] = (302, {"Location": "http://0xa000001/admin"})  # 10.0.0.1
    r = c.check(base + "/to-numeric-private")
    assert r.outcome == "refused" and "10.0.0.1" in r.detail
    ROUTES["/to-numeric-loopback"] = (302, {"Location": f"http://2130706433:{port}/ok"})
    SEEN.clear()
    r = c.check(base + "/to-numeric-loopback")
    assert (r.outcome, r.redirects, SEEN) == ("present", [f"http://127.0.0.1:{port}/ok"],
                                             [("HEAD", "/to-numeric-loopback"), ("HEAD", "/ok")])


def test_the_checker_requests_the_canonical_url(base: str) -> None:
    """What is checked is what was assessed and listed: the canonical host, path and query."""
    from mamoru import urls

    SEEN.clear()
    url = base.replace("http://", "HTTP://") + "/a/./b/../c//d?q=1"
    r = checker(allow_loopback=True).check(url)
    assert r.outcome == "present"
    assert SEEN == [("HEAD", urls.parse(url).path + "?q=1")] == [("HEAD", "/a/c/d?q=1")]


@pytest.mark.parametrize("url,reason", [
    ("http://reported.example.test%2F@127.0.0.1:{port}/gone", "user part"),
    ("http://user@127.0.0.1:{port}/gone", "user part"),
    ("http://reported.example.test\\@127.0.0.1:{port}/gone", "backslash"),
    ("http://127.0.0.1%3A{port}/gone", "percent-encoded"),
    ("http://127.0.0.1:{port}/a%2Fb", "encoded '/'"),
    ("http://127.0.0.1:{port}/a%3Fb", "encoded '?'"),
    ("http://127.0.0.1:{port}/x?a=1%26b=2", "encoded '&'"),
    ("http://127.0.0.1:{port}/%252e%252e/admin", "itself encoded"),
    ("http://999.1.1.1:{port}/", "ends in a number"),
    ("http://127.0.0.1:99999/", "not a port"),
])
def test_urls_that_read_two_ways_are_refused_with_the_reason(base: str, url: str, reason: str) -> None:
    """`http://reported.example.test%2F@127.0.0.1/gone` is listed under reported.example.test (the
    canonicaliser unescapes, then splits) and was checked at 127.0.0.1 (the HTTP client splits first,
    reading a user part): a site could have its listing judged by another host's answer."""
    from mamoru import urls

    SEEN.clear()
    port = base.rsplit(":", 1)[1]
    r = checker(allow_loopback=True).check(url.format(port=port))
    assert r.outcome == "refused" and reason in r.detail, r.detail
    assert SEEN == []
    assert urls.parse("http://reported.example.test%2F@127.0.0.1/gone").host == "reported.example.test"
    # The case page says why in the reader's language: the parser's own reason too, not English
    # inside a Japanese sentence.
    why_ja = vocabulary.reason_text("check", r.reason, r.params, r.detail, "ja")
    assert why_ja.startswith("確認していません") and not re.search(r"[a-z]{3,} [a-z]{3,}", why_ja), why_ja
    assert reason in vocabulary.reason_text("check", r.reason, r.params, r.detail, "en")


# Teredo addresses: server 65.54.227.120, client obfuscated (inverted) in the last 32 bits.
TEREDO_CLIENT_LOOPBACK = "2001:0:4136:e378:8000:63bf:80ff:fffe"  # client 127.0.0.1
TEREDO_SERVER_PRIVATE = "2001:0:a00:1:8000:63bf:f7f7:f7f7"  # server 10.0.0.1, client 8.8.8.8


@pytest.mark.parametrize("addr", [
    "2002:7f00:1::1", "2002:a00:1::1", "2002:c0a8:101::1", "2002:a9fe:a9fe::1",  # 6to4 of 127/8, 10/8, 192.168/16, 169.254
    TEREDO_CLIENT_LOOPBACK, TEREDO_SERVER_PRIVATE,
    "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::c0a8:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1",  # NAT64
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:192.168.1.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:0:7f00:1", "::ffff:0:a00:1",  # IPv4-translated
    "::127.0.0.1", "::10.0.0.1",  # IPv4-compatible
])
def test_ipv6_addresses_embedding_a_non_public_ipv4_address_are_refused(addr: str) -> None:
    assert address_allowed(addr) is False
    if not addr.startswith("::ffff:") or addr.startswith("::ffff:0:"):  # only a mapped loopback is loopback
        assert address_allowed(addr, allow_loopback=True) is False


def test_embedded_forms_of_public_addresses_and_names_resolving_to_embedded_private_ones() -> None:
    from mamoru.hotline.checker import embedded_ipv4

    assert address_allowed("64:ff9b::808:808") is True  # NAT64 of 8.8.8.8
    assert address_allowed("::ffff:8.8.8.8") is True
    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address(TEREDO_CLIENT_LOOPBACK))] == ["65.54.227.120", "127.0.0.1"]
    resolver = StaticResolver({"sixtofour.example.test": ["2002:7f00:1::1"], "nat64.example.test": ["64:ff9b::a00:1"]})
    for host in ("sixtofour.example.test", "nat64.example.test"):
        r = RemovalChecker(resolver=resolver, allow_loopback=True).check(f"http://{host}/")
        assert r.outcome == "refused" and "non-public" in r.detail
