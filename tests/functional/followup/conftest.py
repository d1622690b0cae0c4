"""Follow-up fixtures: a small plan (tests/functional/followup/small-plan.yaml) and a mail outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mamoru.db import Database, make_engine

SMALL_PLAN = Path(__file__).with_name("small-plan.yaml")
TODAY = date(2024, 6, 1)


@pytest.fixture(scope="session")
def _savepoint_engine(migrated_engine: Engine) -> Iterator[Engine]:
    """The migrated database; on SQLite an engine whose transactions pysqlite does not end early.

    pysqlite does not emit BEGIN itself, so a SAVEPOINT opened by a test session starts the outer
    transaction and its RELEASE commits it: data would leak from one test into the next. The
    SQLAlchemy recipe (explicit BEGIN) keeps each test inside one transaction that is rolled back.
    """
    if migrated_engine.dialect.name != "sqlite":
        yield migrated_engine
        return
    engine = make_engine(migrated_engine.url.render_as_string(hide_password=False))

    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN")

    yield engine
    engine.dispose()


@pytest.fixture
def database(_savepoint_engine: Engine) -> Iterator[Database]:
    """Like the shared `database` fixture, with the SQLite savepoint fix above."""
    conn = _savepoint_engine.connect()
    outer = conn.begin()
    factory = sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
    yield Database(_savepoint_engine, factory)
    outer.rollback()
    conn.close()


@pytest.fixture
def fu(session: Session) -> Session:
    """The session with the small test plan (and the follow-up reference data) loaded."""
    from mamoru.plan.loader import load_plan

    load_plan(session, None, SMALL_PLAN)
    session.commit()
    return session


@pytest.fixture
def outbox():  # type: ignore[no-untyped-def]
    from mamoru.followup.notify import MemoryMailBackend

    return MemoryMailBackend()


def open_test_round(session: Session, years: tuple[int, ...] = (2023,), due: date = date(2024, 7, 31)):  # type: ignore[no-untyped-def]
    from mamoru.followup.rounds import open_round

    r = open_round(session, None, list(years), due, today=TODAY)
    session.commit()
    return r
