"""Several app processes on one PostgreSQL: a change made through one is seen through the other
within a bounded time, without a restart (no shared memory between them).

Two `mamoru serve` processes on different ports, same database. A blocklist entry proposed through
server A is read through server B; a hash added to a bank through server A's API
(`POST /api/v1/banks/{name}/import`) is matched through server B, and through A, within BOUND
seconds (each server's matcher polls the bank version).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import PG_URL, TEST_PASSWORD, fresh_postgres_database

BOUND = 15.0
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not PG_URL, reason="needs MAMORU_TEST_POSTGRES_URL")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    r = subprocess.run([sys.executable, "-m", "mamoru.cli", *args], env=env, capture_output=True, text=True,
                       input=stdin, timeout=120)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout.strip()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str], dict[str, str]]]:
    url, drop = fresh_postgres_database("mamoru_two")
    env = {**os.environ, "MAMORU_VAR_DIR": str(tmp_path), "MAMORU_DATABASE_URL": url, "MAMORU_SECRET_KEY": "two-servers",
           "MAMORU_NEW_PASSWORD": TEST_PASSWORD}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        cli(env, "db", "upgrade")
        cli(env, "plan", "load")
        for name, role in (("ana", "analyst"), ("sena", "senior_analyst"), ("plat", "platform")):
            cli(env, "user", "add", name, "--role", role)
        tokens = {"ana": cli(env, "token", "create", "ana", "--scopes", "flagger,blocklist").split()[-1],
                  "sena": cli(env, "token", "create", "sena", "--scopes", "banks").split()[-1],
                  "plat": cli(env, "token", "create", "plat", "--scopes", "match").split()[-1]}
        cli(env, "bank", "create", "shared")
        cli(env, "bank", "choose", "plat", "shared")
        bases = []
        for _ in range(2):
            port = free_port()
            procs.append(subprocess.Popen([sys.executable, "-m", "mamoru.cli", "serve", "--port", str(port)], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for base in bases:
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield bases, env, tokens
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
        drop()


def test_a_change_through_one_server_is_seen_through_the_other(
        servers: tuple[list[str], dict[str, str], dict[str, str]]) -> None:
    (a, b), _env, tokens = servers
    ana = {"Authorization": f"Bearer {tokens['ana']}"}
    r = httpx.post(f"{a}/api/v1/blocklist/entries", headers=ana, timeout=10,
                   json={"kind": "host", "value": "two-servers.example.test", "reason": "test"})
    assert r.status_code == 201, r.text
    entry_id = r.json()["id"]
    seen = httpx.get(f"{b}/api/v1/blocklist/entries/{entry_id}", headers=ana, timeout=10)
    assert seen.status_code == 200 and seen.json()["value"] == "two-servers.example.test"

    plat = {"Authorization": f"Bearer {tokens['plat']}"}
    new_hash = "f" * 16 + "0" * 48
    query = {"hashes": [new_hash], "distance": 0}
    for base in (a, b):
        before = httpx.post(f"{base}/api/v1/match", headers=plat, json=query, timeout=10)
        assert before.status_code == 200, before.text
        assert "shared" not in before.text
    imported = httpx.post(f"{a}/api/v1/banks/shared/import", headers={"Authorization": f"Bearer {tokens['sena']}"},
                          files={"file": ("new.txt", (new_hash + "\n").encode(), "text/plain")},
                          data={"format": "lines", "signal": "pdq"}, timeout=30)
    assert imported.status_code == 201, imported.text
    assert imported.json()["imported"] == 1
    added = time.monotonic()
    for base in (b, a):  # the other server first: it learns of the hash only through the database
        while True:
            r = httpx.post(f"{base}/api/v1/match", headers=plat, json=query, timeout=10)
            assert r.status_code == 200, r.text
            if "shared" in r.text:
                break
            assert time.monotonic() - added < BOUND, f"{base} did not see the new hash within {BOUND} s: {r.text}"
            time.sleep(0.25)
