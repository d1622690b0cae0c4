"""Plan pages issue a fixed number of SQL statements, however many measures the plan holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from mamoru.plan.io import import_measures
from mamoru.plan.service import get_plan


@contextmanager
def counting(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _count(client, database, path: str) -> int:  # type: ignore[no-untyped-def]
    client.get(path)  # warm caches
    with counting(database.engine) as seen:
        r = client.get(path)
    assert r.status_code == 200, r.text
    return len(seen)


def _add_measures(session: Session, n: int) -> None:
    plan = get_plan(session, "basic-plan-2017")
    rows = [(i + 2, {"code": f"9-{i}", "pillar": str(1 + i % 6), "title_en": f"Generated measure {i}",
                     "agencies": "NPA;MIC;MEXT"}) for i in range(n)]
    import_measures(session, plan, rows, None, "load test")
    session.commit()


def test_page_statement_counts_do_not_grow_with_measures(client, database, loaded) -> None:  # type: ignore[no-untyped-def]
    paths = ["/", "/api/v1/plans/basic-plan-2017", "/plans/basic-plan-2017/pillars/3", "/api/v1/measures"]
    before = {p: _count(client, database, p) for p in paths}
    _add_measures(loaded, 64)
    after = {p: _count(client, database, p) for p in paths}
    assert after == before
    assert max(before.values()) <= 15
