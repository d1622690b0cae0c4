"""Browser fixtures: a real `mamoru serve` process on a free loopback port, and Debian's chromium
driven by Playwright (Playwright cannot download its own browser here)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from tests.conftest import BACKENDS, CHROMIUM, CHROMIUM_ARGS, TEST_PASSWORD, MigratedCopy  # noqa: F401 (the browser fixture is in tests/conftest.py)
from tests.servers import wait_until_serving


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
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           migrated_copy: MigratedCopy) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("server")
    url, drop = migrated_copy(request.param, tmp)  # `mamoru setup` then has no migration left to run
    port = _free_port()
    env = {**os.environ, "MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp / "var"),
           "MAMORU_ADMIN_PASSWORD": TEST_PASSWORD, "MAMORU_NEW_PASSWORD": TEST_PASSWORD, "MAMORU_SECRET_KEY": "browser-test"}
    srv = Server(url=f"http://127.0.0.1:{port}", env=env)
    setup = srv.cli("setup")
    assert setup.returncode == 0, setup.stderr
    proc = subprocess.Popen([sys.executable, "-m", "mamoru.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_until_serving(proc, srv.url + "/login")
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
