"""Crash safety: SIGKILL a `mamoru` process in the middle of a bulk operation, restart, and find all
or nothing of it, never half; then the same command run again completes.

Operations: `mamoru plan import` of a generated 2,500-measure file, and `mamoru round open` on the
plan that import produced (about 5,000 entries). Each is killed at several points of its measured
run time. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.conftest import BACKENDS, fresh_database_url

ROWS = 2500
COLUMNS = "id,code,pillar,title_en,title_ja,description_en,description_ja,origin,main,agencies,lead,lineage,predecessors"


def big_measure_file(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS.split(","))
        for i in range(ROWS):
            p = i % 6 + 1
            w.writerow([f"gen-{i:06d}", f"{p}-{100 + i}", p, f"Generated measure {i}", f"生成された施策 {i}",
                        "", "", "unknown", "false", "NPA;MIC", "", "", ""])


def mamoru(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mamoru.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def killed_at(env: dict[str, str], seconds: float, *args: str) -> bool:
    """Start the command, SIGKILL it after `seconds`; True when it was still running then."""
    proc = subprocess.Popen([sys.executable, "-m", "mamoru.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    running = proc.poll() is None
    if running:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return running


def count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_during_import_and_round_opening_leaves_all_or_nothing(backend: str, tmp_path: Path) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    env = {**os.environ, "MAMORU_VAR_DIR": str(tmp_path), "MAMORU_DATABASE_URL": url}
    try:
        assert mamoru(env, "db", "upgrade").returncode == 0
        assert mamoru(env, "plan", "load").returncode == 0
        base = count(url, "SELECT count(*) FROM measures")
        data = tmp_path / "measures.csv"
        big_measure_file(data)

        # A clean run on a second database measures how long each step takes and what it produces.
        (tmp_path / "probe").mkdir()
        probe_url, probe_drop = fresh_database_url(backend, tmp_path / "probe")
        probe_env = {**env, "MAMORU_DATABASE_URL": probe_url}
        assert mamoru(probe_env, "db", "upgrade").returncode == 0 and mamoru(probe_env, "plan", "load").returncode == 0
        start = time.monotonic()
        assert mamoru(probe_env, "plan", "import", str(data)).returncode == 0
        import_time = time.monotonic() - start
        start = time.monotonic()
        assert mamoru(probe_env, "round", "open", "--fy", "2024", "--due", "2030-01-01").returncode == 0
        open_time = time.monotonic() - start
        full_round = count(probe_url, "SELECT count(*) FROM fu_entries")
        probe_drop()

        kills = 0
        for fraction in (0.5, 0.9):
            if killed_at(env, import_time * fraction, "plan", "import", str(data)):
                kills += 1
            assert count(url, "SELECT count(*) FROM measures") in (base, base + ROWS)
        assert kills >= 1, f"the import ({import_time:.1f} s) finished before every kill"
        assert mamoru(env, "plan", "import", str(data)).returncode == 0
        assert count(url, "SELECT count(*) FROM measures") == base + ROWS

        kills = 0
        for fraction in (0.5, 0.9):
            if killed_at(env, open_time * fraction, "round", "open", "--fy", "2024", "--due", "2030-01-01"):
                kills += 1
            rounds = count(url, "SELECT count(*) FROM fu_rounds")
            entries = count(url, "SELECT count(*) FROM fu_entries")
            assert rounds in (0, 1) and (rounds == 0) == (entries == 0), (rounds, entries)
            if rounds:
                break
        assert kills >= 1, f"the round opening ({open_time:.1f} s) finished before every kill"
        if count(url, "SELECT count(*) FROM fu_rounds") == 0:
            assert mamoru(env, "round", "open", "--fy", "2024", "--due", "2030-01-01").returncode == 0
        assert count(url, "SELECT count(*) FROM fu_entries") == full_round > ROWS
    finally:
        drop()
