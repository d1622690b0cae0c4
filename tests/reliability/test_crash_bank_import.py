"""Crash safety of `mamoru bank import`: SIGKILL it while it reads and stores a file of 100,000
generated PDQ hashes, then look: the bank holds every hash of the file (with its one audit event
and its one change number) or none, and the import run again leaves exactly what a clean run
leaves. Each kill is made while the process is seen inside its write transaction, having written
hash_bank_entries rows (tests/reliability/transactions.py), not at a guessed moment.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.conftest import BACKENDS, MigratedCopy
from tests.reliability.test_crash_safety import HOLDS, mamoru
from tests.reliability.transactions import Watcher, kill_inside, traced_run

HASHES = 100_000


def hash_file(path: Path) -> None:
    rng = random.Random(20261128)
    with path.open("w", encoding="ascii") as f:
        f.write("# generated PDQ hashes for the crash-safety test\n")
        f.writelines(f"{rng.getrandbits(256):064x}\n" for _ in range(HASHES))


def bank_state(url: str) -> dict[str, Any]:
    """What an import leaves: the bank's entries (digest of their fields), change numbers, audit events."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            rows = c.execute(text(
                "SELECT e.signal, e.hash, e.category, e.case_ref, e.item, e.expires_at, e.disabled_at, e.changed_version "
                "FROM hash_bank_entries e JOIN hash_banks b ON b.id = e.bank_id WHERE b.name = 'big' "
                "ORDER BY e.signal, e.hash")).all()
            version = c.execute(text("SELECT coalesce(max(version), 0) FROM match_state")).scalar_one()
            events = c.execute(text("SELECT count(*) FROM audit_events WHERE action = 'match:bank:import'")).scalar_one()
    finally:
        engine.dispose()
    digest = hashlib.sha256("\n".join("|".join(map(str, r)) for r in rows).encode()).hexdigest()
    return {"entries": len(rows), "digest": digest, "match_version": version, "import_events": events}


def prepared(migrated_copy: MigratedCopy, backend: str, tmp_path: Path, env: dict[str, str]) -> tuple[dict[str, str], Any]:
    """A migrated database (a copy of the session's) with an empty bank "big"."""
    url, drop = migrated_copy(backend, tmp_path)
    run_env = {**env, "MAMORU_DATABASE_URL": url}
    made = mamoru(run_env, "bank", "create", "big", "--source", "imported")
    assert made.returncode == 0, made.stderr
    return run_env, drop


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_during_bank_import_leaves_all_or_nothing_and_the_rerun_matches_a_clean_run(
        backend: str, tmp_path: Path, migrated_copy: MigratedCopy) -> None:
    env = {**os.environ, "MAMORU_VAR_DIR": str(tmp_path)}
    data = tmp_path / "hashes.txt"
    hash_file(data)
    importing = ("bank", "import", "big", str(data), "--format", "lines", "--signal", "pdq")
    (tmp_path / "probe").mkdir()
    probe_env, probe_drop = prepared(migrated_copy, backend, tmp_path / "probe", env)
    run_env, drop = prepared(migrated_copy, backend, tmp_path, env)
    url = run_env["MAMORU_DATABASE_URL"]
    try:
        before = bank_state(url)
        assert before["entries"] == before["import_events"] == 0

        # A clean run on the second database: how long the import stays inside its write transaction.
        probe_watch = Watcher(probe_env["MAMORU_DATABASE_URL"], "hash_bank_entries", "probe-bank")
        trace = traced_run(probe_env, probe_watch, *importing)
        probe_watch.close()
        assert trace.longest > 0, trace
        expected = bank_state(probe_env["MAMORU_DATABASE_URL"])
        assert expected["entries"] == HASHES and expected["import_events"] == 1

        watch = Watcher(url, "hash_bank_entries", "crash-bank")
        inside = 0
        for hold in HOLDS:
            killed = kill_inside(run_env, watch, trace.longest * hold, *importing)
            now = bank_state(url)
            assert now in (before, expected), f"a killed import left part of the file: {now}"
            inside += int(killed and now == before)
            if now == expected:
                break
        watch.close()
        assert inside >= 1, f"no kill landed inside the import's transaction ({trace})"
        if bank_state(url) == before:
            rerun = mamoru(run_env, *importing)
            assert rerun.returncode == 0, rerun.stderr
        assert bank_state(url) == expected
        assert mamoru(run_env, "audit", "verify").returncode == 0
    finally:
        drop()
        probe_drop()
