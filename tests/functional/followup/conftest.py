"""Follow-up fixtures: a small plan (tests/functional/followup/small-plan.yaml) and a mail outbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

SMALL_PLAN = Path(__file__).with_name("small-plan.yaml")
TODAY = date(2024, 6, 1)


# The shared `database` fixture is used: mamoru.db.make_engine applies the pysqlite BEGIN recipe.


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
