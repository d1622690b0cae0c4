"""Removal checks through the outbound proxy set by MAMORU_HOTLINE_CHECK_PROXY: a tiny loopback proxy
records what it is asked and answers a status itself (it forwards nothing). The checker still refuses
names that resolve to non-public addresses before anything reaches the proxy."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from tests.settings_support import make_settings

from mamoru.hotline.automation import checker_from_settings
from mamoru.hotline.checker import ERROR, PRESENT, REFUSED, REMOVED
from mamoru.hotline.settings import HotlineSettings
from mamoru.hotline.tracing import StaticResolver

PUBLIC = "93.184.215.14"  # a public address the checker accepts; never contacted: the proxy answers
RESOLVER = StaticResolver({"site.example.jp": [PUBLIC], "intranet.example.jp": ["10.1.2.3"]})


@dataclass
class Proxy:
    status: int = 404
    port: int = 0
    lines: list[str] = field(default_factory=list)  # each request line as received
    hosts: list[str] = field(default_factory=list)  # the Host header of each request

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _serve(proxy: Proxy, conn: socket.socket) -> None:
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        proxy.lines.append(head[0])
        proxy.hosts += [h.split(":", 1)[1].strip() for h in head[1:] if h.lower().startswith("host:")]
        status = 403 if head[0].startswith("CONNECT") else proxy.status
        conn.sendall(f"HTTP/1.1 {status} Proxy Answer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    p = Proxy()
    server = socket.create_server(("127.0.0.1", 0))
    p.port = server.getsockname()[1]
    stop = threading.Event()

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            _serve(p, conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield p
    stop.set()
    thread.join(5)
    server.close()


def _checker(proxy_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, {"MAMORU_HOTLINE_CHECK_PROXY": proxy_url, "MAMORU_HOTLINE_CHECK_TIMEOUT": "5"},
                             secret_key="x")
    checker = checker_from_settings(settings.domain(HotlineSettings))
    assert checker.proxy == proxy_url and not checker.allow_loopback
    return replace(checker, resolver=RESOLVER)


def test_http_check_goes_through_the_proxy_with_the_absolute_uri(proxy: Proxy, tmp_path: Path) -> None:
    checker = _checker(proxy.url, tmp_path)
    result = checker.check("http://site.example.jp/album/photo-7?id=3")
    assert (result.outcome, result.status_code, result.method) == (REMOVED, 404, "HEAD")
    assert proxy.lines == ["HEAD http://site.example.jp/album/photo-7?id=3 HTTP/1.1"]
    assert proxy.hosts == ["site.example.jp"]  # the name, not the pinned address: the proxy resolves
    proxy.status = 200
    assert checker.check("http://site.example.jp/other").outcome == PRESENT


def test_https_check_asks_the_proxy_to_connect(proxy: Proxy, tmp_path: Path) -> None:
    result = _checker(proxy.url, tmp_path).check("https://site.example.jp/page")
    assert proxy.lines == ["CONNECT site.example.jp:443 HTTP/1.1"]
    assert result.outcome == ERROR and "403" in result.detail  # the proxy refused the tunnel


def test_non_public_names_are_refused_before_the_proxy(proxy: Proxy, tmp_path: Path) -> None:
    checker = _checker(proxy.url, tmp_path)
    for url in ("http://intranet.example.jp/", "http://127.0.0.1/admin", "http://[::1]/", "http://169.254.169.254/"):
        assert checker.check(url).outcome == REFUSED, url
    assert proxy.lines == []
