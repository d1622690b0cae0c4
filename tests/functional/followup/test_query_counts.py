"""The coordinator dashboard, the portal home and the report issue the same number of SQL statements
whatever the number of measures and rounds (no statement per row)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from mamoru.auth import roles
from mamoru.followup.demo import fill
from mamoru.followup.models import ReportingRound
from mamoru.followup.report import build, render_html


@contextmanager
def counting(engine):  # type: ignore[no-untyped-def]
    n = [0]

    def count(*_args):  # type: ignore[no-untyped-def]
        n[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield n
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(client, session, database, path: str) -> int:  # type: ignore[no-untyped-def]
    client.get(path)  # warm caches (status list, catalogues)
    with counting(database.engine) as n:
        assert client.get(path).status_code == 200
    return n[0]


def test_statement_counts_do_not_grow(client, session, database, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(make_user(roles.COORDINATOR))
    counts = []
    for measures, rounds, key in ((6, 2, "small"), (30, 5, "large")):
        fill(session, measures=measures, rounds=rounds, key=key, first_fy=2000 if key == "small" else 2010)
        session.commit()
        newest = session.scalar(select(ReportingRound).order_by(ReportingRound.id.desc()))
        published = session.scalar(select(ReportingRound).where(ReportingRound.state == "published")
                                   .order_by(ReportingRound.id.desc()))
        dash = _statements(client, session, database, f"/followup/rounds/{newest.id}")
        portal = _statements(client, session, database, "/portal")
        with counting(database.engine) as n:
            render_html(build(session, published, "ja", public=True))
        counts.append((dash, portal, n[0]))
    assert all(c > 0 for c in counts[0])
    assert counts[0] == counts[1], f"statements (dashboard, portal, report) small vs large: {counts}"
