"""The matcher as it runs: snapshots built from the banks, the overlay, polling, answering.

`build_snapshot` writes the live entries (not disabled, not expired) of every bank to a snapshot
file and records it; it does nothing when the newest snapshot is already at the current version.
`MatchRuntime` is what a worker process holds: it polls `match_state.version` (at most every
`poll_seconds`), opens a newer snapshot when one is recorded, and otherwise brings its overlay up
to date with the entries changed since its snapshot. So an addition or a disabling reaches every
worker within seconds, without a restart, and each answer says which snapshot and overlay gave it.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from mamoru.db import Database, utcnow
from mamoru.matching.exact import DIGEST_BYTES, ExactSet, digest_bytes
from mamoru.matching.index import pdq_words
from mamoru.matching.matcher import Matcher, Overlay
from mamoru.matching.models import HashBankEntry, MatchSnapshot
from mamoru.matching.service import current_version
from mamoru.matching.settings import MatchingSettings
from mamoru.matching.snapshot import SnapshotData, open_snapshot, write_snapshot

Row = tuple[int, int, str, str]  # entry id, bank id, signal, hash


def _live(now: datetime) -> ColumnElement[bool]:
    return (HashBankEntry.disabled_at.is_(None)) & or_(HashBankEntry.expires_at.is_(None),
                                                       HashBankEntry.expires_at > now)


def _arrays(rows: list[Row]) -> tuple[SnapshotData, int]:
    by_signal: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_signal[r[2]].append(r)
    pdq = by_signal.get("pdq", [])
    exact = {}
    for s in DIGEST_BYTES:
        got = by_signal.get(s, [])
        exact[s] = ExactSet.build(s, digest_bytes(s, (r[3] for r in got)),
                                  [r[0] for r in got], [r[1] for r in got])
    data = SnapshotData(0, pdq_words(r[3] for r in pdq), np.array([r[0] for r in pdq], np.int64),
                        np.array([r[1] for r in pdq], np.int32), exact)
    return data, sum(len(e) for e in exact.values())


def build_snapshot(session: Session, directory: Path, force: bool = False) -> MatchSnapshot:
    """Write the live entries to a new snapshot (unless the newest is current) and record it."""
    version = current_version(session)
    newest = latest_snapshot(session)
    if newest is not None and newest.version >= version and not force \
            and (directory / newest.file_name).exists():
        return newest
    now = utcnow()
    rows = [tuple(r) for r in session.execute(
        select(HashBankEntry.id, HashBankEntry.bank_id, HashBankEntry.signal, HashBankEntry.hash)
        .where(_live(now)).order_by(HashBankEntry.id))]
    data, exact_count = _arrays(rows)  # type: ignore[arg-type]
    data = SnapshotData(version, data.pdq_hashes, data.pdq_entry_ids, data.pdq_bank_ids,
                        data.exact, {"built_at": now.isoformat(timespec="seconds")})
    directory.mkdir(parents=True, exist_ok=True)
    name = f"index-{version:09d}-{now.strftime('%Y%m%dT%H%M%S%f')}.snap"
    write_snapshot(directory / name, data)
    record = MatchSnapshot(version=version, file_name=name, built_at=now,
                           pdq_count=len(data.pdq_entry_ids), exact_count=exact_count)
    session.add(record)
    session.flush()
    return record


def latest_snapshot(session: Session) -> MatchSnapshot | None:
    return session.scalars(select(MatchSnapshot).order_by(MatchSnapshot.version.desc(),
                                                          MatchSnapshot.id.desc()).limit(1)).first()


def build_overlay(session: Session, snapshot_version: int, built_at: datetime) -> Overlay:
    """Entries changed after the snapshot: live ones are added, the others disabled; entries
    that expired since the snapshot was built are disabled too."""
    now = utcnow()
    version = current_version(session)
    changed = session.scalars(select(HashBankEntry).where(
        HashBankEntry.changed_version > snapshot_version)).all()
    expired = session.scalars(select(HashBankEntry.id).where(
        HashBankEntry.expires_at <= now, HashBankEntry.expires_at > built_at)).all()
    added = [e for e in changed if e.disabled_at is None and (e.expires_at is None or e.expires_at > now)]
    disabled = {e.id for e in changed if e not in added} | set(expired)
    pdq = [e for e in added if e.signal == "pdq"]
    exact: dict[str, dict[bytes, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for e in added:
        if e.signal != "pdq":
            exact[e.signal][bytes.fromhex(e.hash)].append((e.id, e.bank_id))
    return Overlay(version, pdq_words(e.hash for e in pdq), np.array([e.id for e in pdq], np.int64),
                   np.array([e.bank_id for e in pdq], np.int32),
                   {s: dict(d) for s, d in exact.items()}, frozenset(disabled))


class MatchRuntime:
    """One per worker process: the current Matcher, kept fresh by polling the version number."""

    def __init__(self, database: Database, directory: Path, poll: float = 2.0):
        self.database = database
        self.directory = directory
        self.poll = poll
        self._matcher: Matcher | None = None
        self._built_at = datetime.min.replace(tzinfo=UTC)
        self._checked = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: MatchingSettings, database: Database) -> MatchRuntime:
        return cls(database, settings.snapshot_dir, settings.poll_seconds)

    def matcher(self) -> Matcher:
        if self._matcher is None or time.monotonic() - self._checked >= self.poll:
            with self._lock:
                if self._matcher is None or time.monotonic() - self._checked >= self.poll:
                    self.refresh()
        assert self._matcher is not None
        return self._matcher

    def refresh(self) -> None:
        """Open a newer snapshot if one is recorded (building one if none exists), then bring
        the overlay up to the current version."""
        with self.database.session() as session:
            record = latest_snapshot(session)
            if record is None or not (self.directory / record.file_name).exists():
                record = build_snapshot(session, self.directory)
            m = self._matcher
            if m is None or record.version > m.snapshot.version:
                snap = open_snapshot(self.directory / record.file_name, warm=True)
                m = m or Matcher(snap)
                m.swap(snapshot=snap)
                self._built_at = record.built_at
                self._matcher = m
            if current_version(session) > m.overlay.version:
                m.swap(overlay=build_overlay(session, m.snapshot.version, self._built_at))
        self._checked = time.monotonic()

    def staleness_seconds(self) -> float:
        """Seconds since the matcher last checked for changes."""
        return time.monotonic() - self._checked if self._matcher else float("inf")
