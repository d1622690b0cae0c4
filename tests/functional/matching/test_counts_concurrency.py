"""Two match requests counting at once, the day's first: neither fails on the daily counters' unique
key and no count is lost (found by the short mixed load on PostgreSQL: a 500 on a unique violation).
The first change number of a new database is taken the same way. PostgreSQL only: on SQLite the
server takes one request at a time (web/limits.py OneAtATime), so two never count at once."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import PG_URL, fresh_database_url

from mamoru.auth.models import User
from mamoru.db import make_engine
from mamoru.matching.models import MatchCount, MatchState, QueryCount
from mamoru.matching.service import count_queries, create_bank, next_version
from mamoru.migrate import upgrade


@pytest.mark.skipif(not PG_URL, reason="needs MAMORU_TEST_POSTGRES_URL (CI sets it)")
def test_first_counts_of_the_day_at_once_lose_nothing(tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    url, drop = fresh_database_url("postgresql", tmp_path)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as s:
            user = User(username="platform-a", display_name="A", role="platform", password_hash="x")
            s.add(user)
            s.flush()
            bank = create_bank(s, "bank-a", None)
            s.commit()
            user_id, bank_id = user.id, bank.id
        first_counted, errors = threading.Event(), []

        def count(wait: bool) -> None:
            try:
                with Session(engine) as s:
                    if wait:
                        first_counted.wait(10)
                    u = s.get(User, user_id)
                    assert u is not None
                    count_queries(s, u.id, 3, 1, Counter({bank_id: 1}))
                    version = next_version(s)
                    if not wait:
                        first_counted.set()  # the other request now counts while this one holds its rows
                        threading.Event().wait(0.3)
                    s.commit()
                    assert version in (1, 2)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=count, args=(w,)) for w in (False, True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        with Session(engine) as s:
            qc = s.scalars(select(QueryCount)).one()
            assert (qc.queries, qc.matched) == (6, 2)
            assert s.scalars(select(MatchCount)).one().matches == 2
            assert s.scalars(select(MatchState)).one().version == 2
    finally:
        engine.dispose()
        drop()


@pytest.mark.skipif(not PG_URL, reason="needs MAMORU_TEST_POSTGRES_URL (CI sets it)")
def test_counts_collected_in_memory_add_up_once_written(tmp_path: Path) -> None:
    """The matcher's counters (matching/counting.py): 20 threads count 25 requests each while the timer
    writes every 50 ms; once the last write is done (close, as at shutdown), the rows say 500."""
    from sqlalchemy.orm import Session

    from mamoru.db import Database
    from mamoru.matching.counting import QueryCounts

    url, drop = fresh_database_url("postgresql", tmp_path)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as s:
            user = User(username="platform-b", display_name="B", role="platform", password_hash="x")
            s.add(user)
            s.flush()
            bank = create_bank(s, "bank-b", None)
            s.commit()
            user_id, bank_id = user.id, bank.id
        counts = QueryCounts(Database(engine), seconds=0.05)
        start = threading.Barrier(20)

        def requests() -> None:
            start.wait(10)
            for i in range(25):
                counts.add(user_id, 10, i % 2, Counter({bank_id: i % 2}))

        threads = [threading.Thread(target=requests) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        counts.close()
        assert counts.pending() == 0
        with Session(engine) as s:
            qc = s.scalars(select(QueryCount)).one()
            assert (qc.queries, qc.matched) == (20 * 25 * 10, 20 * 12)
            assert s.scalars(select(MatchCount)).one().matches == 20 * 12
    finally:
        engine.dispose()
        drop()
