"""Follow-up fixtures: a small plan (tests/functional/followup/small-plan.yaml), the same with the
follow-up reference data, and a mail outbox. Rounds and entries: tests/factories/followup.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.factories import followup

SMALL_PLAN = Path(__file__).with_name("small-plan.yaml")


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
    from mamoru.mail import MemoryMailer

    return MemoryMailer()


@pytest.fixture
def ref(fu: Session) -> Session:
    """The small plan with the follow-up reference data loaded."""
    return followup.reference(fu)
