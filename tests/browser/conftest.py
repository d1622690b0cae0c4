"""Browser fixtures: a real `mamoru serve` process on a free loopback port, and Debian's chromium
driven by Playwright (Playwright cannot download its own browser here)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from tests.conftest import BACKENDS, CHROMIUM, CHROMIUM_ARGS, TEST_PASSWORD, fresh_database_url  # noqa: F401 (the browser fixture is in tests/conftest.py)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    env: dict[str, str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mamoru.cli", *args], env=self.env, text=True,
                              capture_output=True, timeout=120, check=False)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("server")
    url, drop = fresh_database_url(request.param, tmp)
    port = _free_port()
    env = {**os.environ, "MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp / "var"),
           "MAMORU_ADMIN_PASSWORD": TEST_PASSWORD, "MAMORU_NEW_PASSWORD": TEST_PASSWORD, "MAMORU_SECRET_KEY": "browser-test"}
    srv = Server(url=f"http://127.0.0.1:{port}", env=env)
    setup = srv.cli("setup")
    assert setup.returncode == 0, setup.stderr
    proc = subprocess.Popen([sys.executable, "-m", "mamoru.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(srv.url + "/login", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"server did not start: {proc.stderr.read() if proc.stderr else ''}")
    yield srv
    proc.terminate()
    proc.wait(timeout=10)
    drop()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ja-JP")
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()
