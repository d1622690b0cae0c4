"""The coordinator dashboard, the portal home, the report, a measure's history and the open data issue
the same number of SQL statements whatever the number of measures and rounds (no statement per row)."""

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


def _costs(client, session, database, measures: int, rounds: int) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    """Statements of (dashboard, portal home, report, measure history, open data page, a round's CSV) with a plan of `measures` measures and `rounds` rounds,
    built inside a savepoint that is rolled back afterwards, so each size is measured on its own."""
    conn = database.sessionmaker.kw["bind"]
    scenario = conn.begin_nested()
    try:
        fill(session, measures=measures, rounds=rounds, key=f"size-{measures}-{rounds}", first_fy=2000)
        session.commit()
        newest = session.scalar(select(ReportingRound).order_by(ReportingRound.id.desc()))
        published = session.scalar(select(ReportingRound).where(ReportingRound.state == "published")
                                   .order_by(ReportingRound.id.desc()))
        dash = _statements(client, session, database, f"/followup/rounds/{newest.id}")
        portal = _statements(client, session, database, "/portal")
        with counting(database.engine) as n:
            render_html(build(session, published, "ja", public=True))
        history = _statements(client, session, database, f"/portal/measures/size-{measures}-{rounds}-001")
        data = _statements(client, session, database, "/portal/data")
        csv = _statements(client, session, database, f"/portal/data/round-{published.id}.csv")
        return dash, portal, n[0], history, data, csv
    finally:
        session.rollback()
        scenario.rollback()
        session.expunge_all()


def test_statement_counts_do_not_grow_with_measures(client, session, database, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(make_user(roles.COORDINATOR))
    few, many = _costs(client, session, database, 6, 3), _costs(client, session, database, 36, 3)
    assert all(c > 0 for c in few)
    assert few == many, f"statements (dashboard, portal, report, history, open data, round CSV), 3 rounds, 6 vs 36 measures: {few} vs {many}"


def test_statement_counts_do_not_grow_with_rounds(client, session, database, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(make_user(roles.COORDINATOR))
    few, many = _costs(client, session, database, 12, 2), _costs(client, session, database, 12, 9)
    assert all(c > 0 for c in few)
    assert few == many, f"statements (dashboard, portal, report, history, open data, round CSV), 12 measures, 2 vs 9 rounds: {few} vs {many}"
