"""Seeing from outside that a process is inside its write transaction, so a crash test can SIGKILL
it there and know the kill landed mid-transaction (not during interpreter start-up or after commit).

PostgreSQL: the process's connection (found by the application name given to it with PGAPPNAME) has
a transaction id, which PostgreSQL assigns at the first write, and holds the RowExclusiveLock that
an INSERT or UPDATE takes on the named table, granted: it has written rows of that table that no
one else can see yet. SQLite (WAL mode): the process holds the WAL write lock, a POSIX lock on byte
120 of the `-shm` file that SQLite takes at a transaction's first write and releases at commit or
rollback. It is read with F_GETLK, which reports the holder's pid and takes no lock, so looking does
not slow or block the process.
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

POLL = 0.01  # seconds between looks
WAL_WRITE_LOCK = 120  # SQLite: WALINDEX_LOCK_OFFSET + WAL_WRITE_LOCK, in the -shm file
_FLOCK = "hhqqi4x"  # struct flock on Linux: type, whence, start, len, pid


class Watcher:
    """Answers "is `pid` inside a write transaction (that has written `table`, on PostgreSQL)?"."""

    def __init__(self, url: str, table: str, app_name: str):
        self.url, self.table, self.app_name = url, table, app_name
        self.engine: Engine | None = None
        if not url.startswith("sqlite"):
            self.engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def writing(self, pid: int) -> bool:
        return self._pg_writing() if self.engine is not None else self._sqlite_writing(pid)

    def _pg_writing(self) -> bool:
        assert self.engine is not None
        with self.engine.connect() as c:
            return bool(c.execute(text(
                "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                "WHERE a.application_name = :app AND a.backend_xid IS NOT NULL AND a.xact_start IS NOT NULL "
                "AND l.locktype = 'relation' AND l.relation = to_regclass(:table) "
                "AND l.mode = 'RowExclusiveLock' AND l.granted"), {"app": self.app_name, "table": self.table}
            ).scalar_one())

    def _sqlite_writing(self, pid: int) -> bool:
        shm = Path(self.url.removeprefix("sqlite:///") + "-shm")
        try:
            fd = os.open(shm, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            probe = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, WAL_WRITE_LOCK, 1, 0)
            kind, _, _, _, holder = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, probe))
        finally:
            os.close(fd)
        return kind == fcntl.F_WRLCK and holder == pid


@dataclass
class Trace:
    """Spans (seconds after start) during which a clean run was inside a write transaction."""

    spans: list[tuple[float, float]] = field(default_factory=list)

    @property
    def longest(self) -> float:
        return max((end - start for start, end in self.spans), default=0.0)


def spawn(env: dict[str, str], app_name: str, *args: str, stderr: Any = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "mamoru.cli", *args], env={**env, "PGAPPNAME": app_name},
                            stdout=subprocess.DEVNULL, stderr=stderr)


def traced_run(env: dict[str, str], watcher: Watcher, *args: str, timeout: float = 300) -> Trace:
    """Run the command to the end, polling when it is inside a write transaction."""
    errors = tempfile.TemporaryFile()
    proc = spawn(env, watcher.app_name, *args, stderr=errors)
    trace, start, opened = Trace(), time.monotonic(), None
    while proc.poll() is None:
        now = time.monotonic() - start
        inside = watcher.writing(proc.pid)
        if inside and opened is None:
            opened = now
        elif not inside and opened is not None:
            trace.spans.append((opened, now))
            opened = None
        assert now < timeout, f"{args} ran longer than {timeout} s"
        time.sleep(POLL)
    if opened is not None:
        trace.spans.append((opened, time.monotonic() - start))
    errors.seek(0)
    assert proc.returncode == 0, (args, errors.read().decode(errors="replace"))
    errors.close()
    return trace


def kill_inside(env: dict[str, str], watcher: Watcher, hold: float, *args: str, timeout: float = 300) -> bool:
    """Start the command; once it has been inside one write transaction for `hold` seconds, check
    that it still is and SIGKILL it. True when killed so; False when it ended first (the
    transaction committed before `hold` was reached)."""
    proc = spawn(env, watcher.app_name, *args)
    start, opened = time.monotonic(), None
    try:
        while proc.poll() is None:
            now = time.monotonic()
            if watcher.writing(proc.pid):
                opened = now if opened is None else opened
                if now - opened >= hold:
                    proc.send_signal(signal.SIGKILL)  # just seen inside the transaction
                    proc.wait()
                    return True
            else:
                opened = None
            assert now - start < timeout, f"{args} ran longer than {timeout} s"
            time.sleep(POLL)
        return False
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
