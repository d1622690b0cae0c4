"""Crash safety of `mamoru blocklist publish`: SIGKILL it while it stores a version of 100,000
generated entries (every format, the delta from an earlier publication, signatures), then look: the
database holds the whole publication (every format, the delta, their signatures, the audit event)
or none of it, and the command run again produces byte for byte what a clean run produces.
Each kill is made while the process is seen inside its write transaction, having written
blocklist_artifacts rows (tests/reliability/transactions.py), not at a guessed moment.
SQLite and PostgreSQL.

The files `--out DIR` writes are checked on their own (the last test): they must follow the
database, never show a version it does not hold.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session
from tests.conftest import BACKENDS, TEST_PASSWORD, MigratedCopy
from tests.reliability.test_crash_safety import HOLDS, count, mamoru
from tests.reliability.transactions import Watcher, kill_inside, traced_run

from mamoru.blocklist import signing

FIRST = 1_000  # published first, so the big publication carries a delta
ENTRIES = 100_000


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Many rows fast: COPY on PostgreSQL (psycopg's executemany sends one statement a row)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(insert(model.__table__), rows)
        return
    cols = list(rows[0])
    with conn.connection.driver_connection.cursor() as cur, \
            cur.copy(f"COPY {model.__tablename__} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if isinstance(row[c], list) else row[c] for c in cols])


def generate_entries(url: str, first: int, last: int) -> None:
    """Active entries `first`..`last` (ids and versions equal), written directly: a third each of
    URLs, hosts and domains, one list version per entry as confirmations would leave them."""
    from mamoru.auth.service import create_user
    from mamoru.blocklist.models import BlocklistEntry, BlocklistVersion
    from mamoru.blocklist.service import _value_key
    from mamoru.db import Database

    db = Database.from_url(url)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with db.session() as s:
            user_id = s.scalar(text("SELECT id FROM users WHERE username = 'proposer'"))
            if user_id is None:
                user_id = create_user(s, "proposer", "analyst", TEST_PASSWORD).id
            entries, versions = [], []
            for i in range(first, last + 1):
                kind = ("url", "host", "domain")[i % 3]
                value = {"url": f"http://site{i}.example/page/{i}", "host": f"h{i}.example.net",
                         "domain": f"d{i}.example.org"}[kind]
                entries.append({"id": i, "kind": kind, "value": value, "value_key": _value_key(kind, value),
                                "entered_as": value, "category": "csam", "case_ref": None, "reason": "generated",
                                "criteria": [], "status": "active", "proposed_by_id": user_id, "proposed_at": at,
                                "review_on": date(2030, 1, 1), "added_version": i, "closed_reason": ""})
                versions.append({"number": i, "at": at, "actor": "proposer", "action": "add", "entry_id": i,
                                 "note": ""})
            insert_rows(s, BlocklistEntry, entries)
            insert_rows(s, BlocklistVersion, versions)
    finally:
        db.engine.dispose()


def publications(url: str) -> dict[str, Any]:
    """Everything a publication leaves in the database, with each stored file checked against its digest."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            pubs = sorted(tuple(r) for r in c.execute(text(
                "SELECT version, previous_version, key_id, entry_count FROM blocklist_publications")))
            files = []
            for kind, fmt, version, from_version, sha, data, sig in c.execute(text(
                    "SELECT a.kind, a.format, a.version, a.from_version, a.sha256, a.data, a.signature "
                    "FROM blocklist_artifacts a JOIN blocklist_publications p ON p.id = a.publication_id")):
                assert hashlib.sha256(bytes(data)).hexdigest() == sha, f"stored {kind} {fmt} is not the file signed"
                files.append((version, kind, fmt, from_version, sha, hashlib.sha256(bytes(sig)).hexdigest()))
            events = c.execute(text("SELECT count(*) FROM audit_events WHERE action = 'blocklist:publish'")).scalar_one()
            orphans = c.execute(text("SELECT count(*) FROM blocklist_artifacts a LEFT JOIN blocklist_publications p "
                                     "ON p.id = a.publication_id WHERE p.id IS NULL")).scalar_one()
    finally:
        engine.dispose()
    return {"publications": pubs, "files": sorted(files), "audit_events": events, "orphan_files": orphans}


def folder(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}


def prepared(migrated_copy: MigratedCopy, backend: str, tmp_path: Path, env: dict[str, str],
             entries: int) -> tuple[str, Any]:
    """A migrated database (a copy of the session's) with FIRST entries published, then `entries` in
    all, not yet published."""
    url, drop = migrated_copy(backend, tmp_path)
    run_env = {**env, "MAMORU_DATABASE_URL": url}
    generate_entries(url, 1, FIRST)
    first = mamoru(run_env, "blocklist", "publish")
    assert first.returncode == 0, first.stderr
    generate_entries(url, FIRST + 1, entries)
    return url, drop


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_during_publish_leaves_all_or_nothing_and_the_rerun_matches_a_clean_run(
        backend: str, tmp_path: Path, migrated_copy: MigratedCopy) -> None:
    env = {**os.environ, "MAMORU_VAR_DIR": str(tmp_path), "MAMORU_BLOCKLIST_KEY": str(tmp_path / "blocklist.key")}
    signing.rotate_key(tmp_path / "blocklist.key")  # a configured key must exist: publish never makes it
    (tmp_path / "probe").mkdir()
    probe_url, probe_drop = prepared(migrated_copy, backend, tmp_path / "probe", env, ENTRIES)
    url, drop = prepared(migrated_copy, backend, tmp_path, env, ENTRIES)
    try:
        before = publications(url)
        assert before == publications(probe_url) and before["publications"][0][0] == FIRST

        # A clean run on the second database: how long publishing stays inside its write transaction.
        publishing = ("blocklist", "publish", "--out")
        probe_watch = Watcher(probe_url, "blocklist_artifacts", "probe-publish")
        trace = traced_run({**env, "MAMORU_DATABASE_URL": probe_url}, probe_watch, *publishing,
                           str(tmp_path / "probe" / "out"))
        probe_watch.close()
        assert trace.longest > 0, trace
        expected = publications(probe_url)
        assert len(expected["files"]) == len(before["files"]) + 6 and expected["audit_events"] == 2

        out = tmp_path / "out"
        run_env = {**env, "MAMORU_DATABASE_URL": url}
        watch = Watcher(url, "blocklist_artifacts", "crash-publish")
        inside = 0
        for hold in HOLDS:
            killed = kill_inside(run_env, watch, trace.longest * hold, *publishing, str(out))
            now = publications(url)
            assert now in (before, expected), "a killed publish left part of a publication"
            assert now["orphan_files"] == 0
            inside += int(killed and now == before)
            if now == expected:
                break
        watch.close()
        assert inside >= 1, f"no kill landed inside publishing's transaction ({trace})"
        if publications(url) == before:
            rerun = mamoru(run_env, "blocklist", "publish", "--out", str(out))
            assert rerun.returncode == 0, rerun.stderr
        assert publications(url) == expected
        assert folder(out) == folder(tmp_path / "probe" / "out")
        assert mamoru(run_env, "audit", "verify").returncode == 0
    finally:
        drop()
        probe_drop()


def writing_started(fifo_fd: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait until the process writes into the FIFO (True) or ends without doing so (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        readable, _, _ = select.select([fifo_fd], [], [], 0.05)
        if readable and os.read(fifo_fd, 1):
            return True
        if proc.poll() is not None:
            return False
    raise AssertionError("publish neither wrote its files nor ended")


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_publish_out_files_follow_the_database(backend: str, tmp_path: Path, migrated_copy: MigratedCopy) -> None:
    """`blocklist.json` in DIR is a FIFO: the moment publish writes it, the process is held (the pipe
    fills) and the database is looked at; then it is killed and publish runs again."""
    env = {**os.environ, "MAMORU_VAR_DIR": str(tmp_path), "MAMORU_BLOCKLIST_KEY": str(tmp_path / "blocklist.key")}
    signing.rotate_key(tmp_path / "blocklist.key")  # a configured key must exist: publish never makes it
    url, drop = prepared(migrated_copy, backend, tmp_path, env, 20_000)
    run_env = {**env, "MAMORU_DATABASE_URL": url}
    out = tmp_path / "out"
    out.mkdir()
    fifo = out / "blocklist.json"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    proc = subprocess.Popen([sys.executable, "-m", "mamoru.cli", "blocklist", "publish", "--out", str(out)],
                            env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if writing_started(fd, proc, timeout=120):
            published = count(url, "SELECT count(*) FROM blocklist_publications WHERE version = 20000")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert published == 1, "publish wrote files of version 20000 into DIR before the database held it"
        if stat.S_ISFIFO(fifo.lstat().st_mode):
            fifo.unlink()
        rerun = mamoru(run_env, "blocklist", "publish", "--out", str(out))
        assert rerun.returncode == 0, rerun.stderr
        public = signing.load_public_key(tmp_path / "blocklist.key.pub")
        names = {"blocklist.rpz", "hosts", "blocklist.csv", "blocklist.json", "blocklist.hashed",
                 f"blocklist-delta-{FIRST}-20000.json"}
        assert set(folder(out)) == names | {n + ".sig" for n in names}, "a file is missing or a temporary one is left"
        for name in names:
            st = signing.verify((out / name).read_bytes(), (out / (name + ".sig")).read_bytes(), public)
            assert st.version == 20000
    finally:
        os.close(fd)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        drop()
