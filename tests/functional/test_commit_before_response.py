"""A request's changes are stored before its response starts; a failing commit answers 500."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.web.app import create_app
from mamoru.web.deps import get_session

router = APIRouter()
seen_by_second_session: list[bool] = []


@router.post("/test/dup")
def add_duplicate(session: Session = Depends(get_session)) -> dict[str, str]:
    session.add(User(username="twin", role="auditor", password_hash="x"))
    session.add(User(username="twin", role="auditor", password_hash="x"))
    return {"status": "done"}  # would be a lie: the commit after this must fail


@router.post("/test/add")
def add_one(session: Session = Depends(get_session)) -> dict[str, str]:
    session.add(User(username="single", role="auditor", password_hash="x"))
    return {"status": "done"}


def test_failing_commit_answers_500_not_success(settings, database) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, database)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/test/dup")
    assert r.status_code == 500 and "could not be saved" in r.text


def test_change_is_visible_when_the_response_arrives(settings, database) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, database)
    app.include_router(router)
    with TestClient(app) as c:
        assert c.post("/test/add").status_code == 200
        with database.session() as s:
            assert s.scalar(select(User).where(User.username == "single")) is not None
