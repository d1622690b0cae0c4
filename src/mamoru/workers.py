"""Background work as the health check reports it: every worker records each round it finishes.

`mamoru work` (and `mamoru run`, which starts it beside the web server) runs the scheduled work of
the domains: the hotline's round (inbox, police alerts, deletion requests and re-sends, removal
checks, contact purge, its published figures), the matcher's snapshot refresh, and the blocking
list's expiry of entries whose review date passed. After each round it writes one row here, so
`GET /api/v1/health` can say which workers run and when each last finished a round, whichever
process serves it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mamoru.db import Base, Database, UTCDateTime, utcnow


class WorkerRound(Base):
    """The last round of one worker (one row a worker name)."""

    __tablename__ = "worker_rounds"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. "hotline"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when this worker process started
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it last finished a round
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")


def record_round(database: Database, name: str, started_at: datetime, interval_seconds: float, summary: str,
                 error: str = "", now: datetime | None = None) -> None:
    """Note that worker `name` finished a round (in its own short transaction)."""
    with database.session() as s:
        row = s.get(WorkerRound, name)
        if row is None:
            row = WorkerRound(name=name, started_at=started_at, rounds=0)
            s.add(row)
        if row.started_at != started_at:
            row.started_at, row.rounds = started_at, 0
        row.finished_at = now or utcnow()
        row.interval_seconds = int(interval_seconds)
        row.rounds = (row.rounds or 0) + 1
        row.summary = summary[:2000]
        row.last_error = error[:2000]


def rounds(session: Session) -> list[WorkerRound]:
    return list(session.scalars(select(WorkerRound).order_by(WorkerRound.name)))


def running(row: WorkerRound, now: datetime | None = None) -> bool:
    """A worker counts as running while its last round is younger than three of its intervals."""
    age = ((now or utcnow()) - row.finished_at).total_seconds()
    return age <= 3 * max(row.interval_seconds, 1) + 30
