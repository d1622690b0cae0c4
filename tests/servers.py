"""Servers for tests that need a real socket: a free loopback port, and the app served by uvicorn in a
thread of the test process (for tests of what a real HTTP server does: slow clients, requests
answered while another is busy)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

START_SECONDS = 20
# How long a server process may take to answer its first request. Not a wait: wait_until_serving
# returns as soon as it answers, and fails at once if the process exits; the bound is generous
# because under load (two busy cores, other workers' servers) a start took over 30 s.
PROCESS_START_SECONDS = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving_in_thread(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a thread; yields its base URL, and stops
    the server afterwards."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def wait_until_serving(proc: subprocess.Popen[Any], url: str, seconds: float = PROCESS_START_SECONDS) -> None:
    """Return once `url` answers 200; fail with the process's stderr if it exits first, or if it has
    not answered within `seconds`. Each attempt may take 10 s: the first request of a loaded
    process (templates compiled, the first database connection) can take several seconds, and an
    attempt abandoned after 1 s would never see it answer."""
    deadline = time.monotonic() + seconds
    last = "no answer"
    while True:
        if proc.poll() is not None:
            errors = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"the server exited ({proc.returncode}) before answering {url}: {errors}")
        try:
            r = httpx.get(url, timeout=10)
            if r.status_code == 200:
                return
            last = f"{r.status_code}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        if time.monotonic() > deadline:
            proc.kill()
            errors = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"the server did not answer {url} within {seconds:g} s ({last}): {errors}")
        time.sleep(0.1)
