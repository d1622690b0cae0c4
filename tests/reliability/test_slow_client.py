"""One slow client does not hold the server (`make run` on embedded SQLite, and PostgreSQL's limit):
the body is read, within MAMORU_BODY_SECONDS, before the request takes SQLite's one-at-a-time turn or
a place among the requests in flight (web/limits.py BodyFirst). Found as: a socket sending its body
one byte a second made every other request wait 30 s."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import PG_URL
from tests.servers import serving_in_thread
from tests.settings_support import make_settings

from mamoru.web.app import create_app


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A real uvicorn server in this process, on loopback, with a 3 s body deadline; on PostgreSQL
    with room for one request at a time (MAMORU_MAX_REQUESTS=1), so a held place would show."""
    url = f"sqlite:///{tmp_path / 'slow.db'}" if request.param == "sqlite" else str(PG_URL)
    settings = make_settings(tmp_path, {"MAMORU_DATABASE_URL": url, "MAMORU_BODY_SECONDS": "3",
                                        "MAMORU_MAX_REQUESTS": "1", "MAMORU_QUEUE_SECONDS": "5"})
    with serving_in_thread(create_app(settings)) as base:
        yield base


def _trickle(base: str, stop: threading.Event, answer: list[Any]) -> None:
    """Headers of a form POST, then its body one byte a second until told to stop or answered."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100\r\n\r\n")
        sock.settimeout(1.0)
        started = time.monotonic()
        while not stop.is_set():
            try:
                sock.sendall(b"a")
                data = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if data:
                answer.append((time.monotonic() - started, data.split(b"\r\n", 1)[0].decode()))
                return


def test_a_slow_body_holds_no_one_else(server: str) -> None:
    assert httpx.get(server + "/api/v1/openapi.json", timeout=30).status_code == 200  # built once, then cached
    stop, answer = threading.Event(), []
    slow = threading.Thread(target=_trickle, args=(server, stop, answer), daemon=True)
    slow.start()
    try:
        time.sleep(1.2)  # the slow request is in, two bytes sent
        for _ in range(3):
            started = time.monotonic()
            r = httpx.get(server + "/api/v1/openapi.json", timeout=10)
            assert r.status_code == 200
            assert time.monotonic() - started < 1.0, "another client waited for the slow body"
        slow.join(8)
    finally:
        stop.set()
    # cut off after the 3 s allowed for the whole body, not left to hang
    assert answer and answer[0][1].endswith("408 Request Timeout"), answer
    assert 2.5 < answer[0][0] < 6, answer
