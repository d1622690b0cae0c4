"""No database statement runs on the server's event loop. FastAPI runs a plain (`def`) endpoint,
dependency and exception handler in a worker thread, a coroutine on the event loop itself, where a
database call holds every other request of the process for its duration.

The check is tests/conftest.py's `database` fixture: every test that drives the app through it fails
when a statement ran on a thread with a running event loop (`_statement_guard`). Here: that the guard
sees such a statement, and leaves one in a worker thread alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from starlette.concurrency import run_in_threadpool
from tests.conftest import _statement_guard


def test_the_guard_sees_a_statement_on_the_loop_and_not_one_in_a_worker_thread(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'probe.db'}")  # not the fixture's: its guard would fail the test
    probe = FastAPI()

    def one() -> Any:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one()

    @probe.get("/on-the-loop")
    async def on_the_loop() -> Any:
        return one()

    @probe.get("/in-a-thread")
    async def in_a_thread() -> Any:
        return await run_in_threadpool(one)

    @probe.get("/plain")
    def plain() -> Any:
        return one()

    found: list[str] = []
    guard = _statement_guard(found)
    event.listen(engine, "before_cursor_execute", guard)
    try:
        with TestClient(probe) as client:
            assert client.get("/in-a-thread").json() == 1
            assert client.get("/plain").json() == 1
            assert found == []
            assert client.get("/on-the-loop").json() == 1
            assert found == ["SELECT 1"]
    finally:
        event.remove(engine, "before_cursor_execute", guard)
        engine.dispose()
