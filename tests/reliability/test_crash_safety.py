"""Crash safety: SIGKILL a `mamoru` process in the middle of a bulk operation, restart, and find all
or nothing of it, never half; then the same command run again completes.

Operations: `mamoru plan import` of a generated 2,500-measure file, and `mamoru round open` on the
plan that import produced (about 5,000 entries). A clean run on a second database, watched from
outside (tests/reliability/transactions.py), shows how long the command stays inside its write
transaction; each kill then waits until the process has been inside its write transaction (on
PostgreSQL: holding a transaction id and the row lock of an INSERT into the measures or entries
table) for a fifth, then three fifths, of that time, checks it still is, and SIGKILLs it, so the
kill is known to land mid-transaction and not during interpreter start-up or after the commit.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.conftest import BACKENDS, MigratedCopy
from tests.reliability.transactions import Watcher, kill_inside, traced_run

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


HOLDS = (0.2, 0.6)  # fractions of a clean run's longest write transaction, held before each kill


def count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_during_import_and_round_opening_leaves_all_or_nothing(backend: str, tmp_path: Path,
                                                                      migrated_copy: MigratedCopy) -> None:
    # migrated databases (copies of the session's: `mamoru db upgrade` is tested on empty ones)
    url, drop = migrated_copy(backend, tmp_path)
    env = {**os.environ, "MAMORU_VAR_DIR": str(tmp_path), "MAMORU_DATABASE_URL": url}
    try:
        assert mamoru(env, "plan", "load").returncode == 0
        base = count(url, "SELECT count(*) FROM measures")
        data = tmp_path / "measures.csv"
        big_measure_file(data)

        # A clean run on a second database: how long each step stays inside its write transaction.
        (tmp_path / "probe").mkdir()
        probe_url, probe_drop = migrated_copy(backend, tmp_path / "probe")
        probe_env = {**env, "MAMORU_DATABASE_URL": probe_url}
        assert mamoru(probe_env, "plan", "load").returncode == 0
        importing = ("plan", "import", str(data))
        opening = ("round", "open", "--fy", "2024", "--due", "2030-01-01")
        watchers = {name: (Watcher(probe_url, table, f"probe-{name}"), Watcher(url, table, f"crash-{name}"))
                    for name, table in (("import", "measures"), ("open", "fu_entries"))}
        import_trace = traced_run(probe_env, watchers["import"][0], *importing)
        open_trace = traced_run(probe_env, watchers["open"][0], *opening)
        full_round = count(probe_url, "SELECT count(*) FROM fu_entries")
        for probe_watcher, _ in watchers.values():
            probe_watcher.close()
        probe_drop()
        assert import_trace.longest > 0 and open_trace.longest > 0, (import_trace, open_trace)

        inside = 0
        for hold in HOLDS:
            killed = kill_inside(env, watchers["import"][1], import_trace.longest * hold, *importing)
            measures = count(url, "SELECT count(*) FROM measures")
            assert measures in (base, base + ROWS)
            inside += int(killed and measures == base)
            if measures == base + ROWS:
                break
        assert inside >= 1, f"no kill landed inside the import's transaction ({import_trace})"
        if count(url, "SELECT count(*) FROM measures") == base:
            assert mamoru(env, *importing).returncode == 0
        assert count(url, "SELECT count(*) FROM measures") == base + ROWS

        inside = 0
        for hold in HOLDS:
            killed = kill_inside(env, watchers["open"][1], open_trace.longest * hold, *opening)
            rounds = count(url, "SELECT count(*) FROM fu_rounds")
            entries = count(url, "SELECT count(*) FROM fu_entries")
            assert rounds in (0, 1) and (rounds == 0) == (entries == 0), (rounds, entries)
            inside += int(killed and rounds == 0)
            if rounds:
                break
        assert inside >= 1, f"no kill landed inside the round opening's transaction ({open_trace})"
        if count(url, "SELECT count(*) FROM fu_rounds") == 0:
            assert mamoru(env, *opening).returncode == 0
        assert count(url, "SELECT count(*) FROM fu_entries") == full_round > ROWS
        for _, watcher in watchers.values():
            watcher.close()
    finally:
        drop()
