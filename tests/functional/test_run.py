"""`make run` is the whole system: `mamoru run` starts the web application and the background worker,
and /api/v1/health shows the worker's jobs and their last rounds within a minute; `mamoru work --once`
records a round of each job, and one failing job is recorded without stopping the others."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mamoru.cli import work as work_cli
from mamoru.db import Database, utcnow
from mamoru.workers import rounds


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("MAMORU_")}
    return {**keep, "MAMORU_VAR_DIR": str(tmp_path / "var"), "MAMORU_ADMIN_PASSWORD": "run-test-password-1",
            "MAMORU_SECRET_KEY": "run-test"}


@pytest.mark.slow
def test_mamoru_run_serves_the_web_and_runs_the_worker(tmp_path: Path) -> None:
    env = _env(tmp_path)
    mamoru = [sys.executable, "-m", "mamoru.cli"]
    assert subprocess.run([*mamoru, "setup"], env=env, capture_output=True, text=True, timeout=300).returncode == 0
    port = _port()
    proc = subprocess.Popen([*mamoru, "run", "--port", str(port), "--interval", "5"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, workers = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).json()
                workers = [w for w in health["workers"] if w["running"]]
                if {"hotline", "matching-snapshot", "blocklist-review"} <= {w["name"] for w in workers}:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        names = {w["name"]: w for w in workers}
        assert {"hotline", "matching-snapshot", "blocklist-review"} <= set(names), workers
        assert names["hotline"]["last_error"] == "" and names["hotline"]["last_round_jst"].endswith(" JST")
    finally:
        proc.terminate()
        out, errors = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}" in out and "background worker" in out and "outbox" in out


def test_one_round_records_each_job_and_a_failure_does_not_stop_the_others(database: Database) -> None:
    def broken() -> str:
        raise RuntimeError("the mail relay is down")

    jobs = [work_cli.Job("test-broken", broken), work_cli.Job("test-fine", lambda: "did 3 things")]
    started = utcnow()
    assert work_cli.one_round(database, jobs, started, 60) == 1
    with database.session() as s:
        got = {w.name: w for w in rounds(s)}
    assert "the mail relay is down" in got["test-broken"].last_error and got["test-broken"].rounds == 1
    assert got["test-fine"].summary == "did 3 things" and got["test-fine"].last_error == ""
    work_cli.one_round(database, jobs, started, 60)
    with database.session() as s:
        assert {w.name: w.rounds for w in rounds(s)}["test-fine"] == 2
