"""No body byte is read by a removal check: a loopback server refuses HEAD (405), then answers the GET
with its headers and the first KiB of a large body in one write, and streams the rest in 1 KiB chunks
with a short sleep, counting the chunks the connection accepted before it closed. The checker reads
the status lines and headers and nothing else: every byte its thread receives from a socket is
counted (socket.socket.recv wrapped), and no part of the HTTP client that reads a body is called."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpcore
import pytest

from mamoru.hotline.checker import RemovalChecker
from mamoru.hotline.tracing import StaticResolver

CHUNK = b"x" * 1024
HEAD_405 = b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
HEAD_200 = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 104857600\r\n\r\n"


@dataclass
class StreamingSite:
    port: int = 0
    chunks_sent: list[int] = field(default_factory=list)  # per GET: chunks the connection accepted
    done: threading.Event = field(default_factory=threading.Event)


def _serve(site: StreamingSite, conn: socket.socket) -> None:
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            got = conn.recv(4096)
            if not got:
                return
            data += got
        if data.startswith(b"HEAD "):
            conn.sendall(HEAD_405)
            return
        sent = 0
        try:
            conn.sendall(HEAD_200 + CHUNK)  # the head and the first body bytes arrive together
            sent = 1
            while sent < 4096:  # at most 4 MiB
                time.sleep(0.002)
                conn.sendall(CHUNK)
                sent += 1
        except OSError:  # the checker closed the connection
            pass
        site.chunks_sent.append(sent)
        site.done.set()


@pytest.fixture
def site() -> Iterator[StreamingSite]:
    s = StreamingSite()
    server = socket.create_server(("127.0.0.1", 0))
    s.port = server.getsockname()[1]
    stop = threading.Event()

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_serve, args=(s, conn), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield s
    stop.set()
    thread.join(5)
    server.close()


def test_get_after_405_reads_status_and_headers_only(site: StreamingSite, monkeypatch: pytest.MonkeyPatch) -> None:
    me = threading.get_ident()
    received: list[int] = []
    original = socket.socket.recv

    def counting_recv(self: socket.socket, size: int, flags: int = 0) -> bytes:
        data = original(self, size, flags)
        if threading.get_ident() == me:
            received.append(len(data))
        return data

    def no_body(*args: object, **kwargs: object) -> None:
        raise AssertionError("a removal check read a response body")

    monkeypatch.setattr(socket.socket, "recv", counting_recv)
    for name in ("read", "iter_stream"):
        monkeypatch.setattr(httpcore.Response, name, no_body)

    checker = RemovalChecker(resolver=StaticResolver({}), timeout=5.0, allow_loopback=True)
    result = checker.check(f"http://127.0.0.1:{site.port}/big.jpg")
    assert (result.outcome, result.status_code, result.method) == ("present", 200, "GET")

    assert site.done.wait(10), "the server should see the connection close"
    [chunks] = site.chunks_sent
    assert chunks * len(CHUNK) < 16 * 1024, f"{chunks} KiB went out before the connection closed"
    assert sum(received) == len(HEAD_405) + len(HEAD_200), "the checker's thread read body bytes"
    assert result.bytes_read == len(HEAD_405) + len(HEAD_200)
