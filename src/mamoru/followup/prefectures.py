"""Per-prefecture status of measures carried out by prefectures (ordinances, child guidance centres),
entered by the plan office and shown as a table and a tile map of the 47 prefectures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup.charts import tile_map
from mamoru.followup.models import PrefecturePublication, PrefectureStatus
from mamoru.followup.reference import prefecture_grid
from mamoru.plan.models import Measure, Prefecture

# key, English, Japanese, colour
STATUSES = (
    ("done", "Done (enacted / reinforced)", "実施済み（制定・強化済み）", "#2f8f4e"),
    ("in_progress", "In progress", "検討・準備中", "#e0a526"),
    ("none", "Not yet", "未実施", "#d9826f"),
    ("unknown", "Unknown", "不明", "#e8ebf0"),
)
COLOURS = {k: c for k, _en, _ja, c in STATUSES}


@dataclass
class Row:
    prefecture: Prefecture
    status: PrefectureStatus | None


def table(session: Session, measure: Measure) -> list[Row]:
    """All 47 prefectures in JIS order with the measure's status (two statements)."""
    prefs = list(session.scalars(select(Prefecture).order_by(Prefecture.code)))
    rows = {s.prefecture_id: s for s in session.scalars(select(PrefectureStatus)
                                                         .where(PrefectureStatus.measure_id == measure.id))}
    return [Row(p, rows.get(p.id)) for p in prefs]


def measures_with_status(session: Session, published_only: bool = False) -> list[Measure]:
    ids = select(PrefectureStatus.measure_id).distinct()
    stmt = select(Measure).where(Measure.id.in_(ids)).order_by(Measure.id)
    if published_only:
        stmt = stmt.where(Measure.id.in_(select(PrefecturePublication.measure_id)))
    return list(session.scalars(stmt))


def publication(session: Session, measure: Measure) -> PrefecturePublication | None:
    return session.scalar(select(PrefecturePublication).where(PrefecturePublication.measure_id == measure.id))


def publish(session: Session, actor: User | None, measure: Measure, published: bool = True) -> None:
    """Show (or stop showing) a measure's prefecture status to the public; later changes show at once."""
    _office(actor)
    row = publication(session, measure)
    if published and row is None:
        session.add(PrefecturePublication(measure_id=measure.id, published_by=actor.username if actor else "cli"))
    elif not published and row is not None:
        session.delete(row)
    audit.record(session, actor, "followup:prefecture:publish", f"measure:{measure.uid}", {"published": published})
    session.flush()


def _office(actor: User | None) -> None:
    if actor is not None and actor.role != "coordinator":
        raise PermissionDenied("prefecture status is entered and published by the plan office")


def set_status(session: Session, actor: User | None, measure: Measure, code: str, status: str,
               since: date | None = None, note: str = "") -> PrefectureStatus:
    _office(actor)
    if status not in COLOURS:
        raise InvalidInput([Problem(None, "status", f"one of {', '.join(COLOURS)}")])
    pref = session.scalar(select(Prefecture).where(Prefecture.code == code.zfill(2)))
    if pref is None:
        raise NotFound(f"no prefecture {code!r} (JIS code 01 to 47)")
    row = session.scalar(select(PrefectureStatus).where(PrefectureStatus.measure_id == measure.id,
                                                        PrefectureStatus.prefecture_id == pref.id))
    if row is None:
        row = PrefectureStatus(measure_id=measure.id, prefecture_id=pref.id, status=status)
        session.add(row)
    row.status, row.since, row.note = status, since, note.strip()
    row.updated_by, row.updated_at = actor.username if actor else "cli", utcnow()
    audit.record(session, actor, "followup:prefecture:set", f"measure:{measure.uid}",
                 {"prefecture": pref.code, "status": status})
    session.flush()
    return row


def svg_map(rows: list[Row], lang: str, title: str) -> str:
    by_code = {r.prefecture.code: r.status.status for r in rows if r.status is not None}
    tiles = [(code, ja if lang == "ja" else en, x, y) for code, ja, en, x, y in prefecture_grid()]
    return tile_map(title, tiles, {c: COLOURS[s] for c, s in by_code.items()})


def counts(rows: list[Row]) -> dict[str, int]:
    out = {k: 0 for k in COLOURS}
    for r in rows:
        out[r.status.status if r.status else "unknown"] += 1
    return out
