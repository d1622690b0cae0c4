"""A PostgreSQL process lets in fewer requests at once than it has database connections and worker
threads, and a request that finds no connection in time is told to come back (503, Retry-After), not
given a 500. (SQLAlchemy's and AnyIO's defaults, 5 + 10 connections for 40 threads, had every thread
waiting for a connection under load: docs/performance.md, Load.)"""

from __future__ import annotations

from pathlib import Path

import anyio
import anyio.to_thread
from fastapi.testclient import TestClient
from sqlalchemy.exc import TimeoutError as PoolTimeout
from tests.settings_support import make_settings

from mamoru.db import POOL_OVERFLOW, POOL_TIMEOUT
from mamoru.web.app import create_app
from mamoru.web.limits import ConcurrencyLimit


def test_requests_let_in_are_fewer_than_connections_and_threads(tmp_path: Path) -> None:
    # a URL nobody answers: the pool is sized when the engine is made, before any connection
    settings = make_settings(tmp_path, {"MAMORU_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
                                        "MAMORU_MAX_REQUESTS": "7"})
    app = create_app(settings)
    pool = app.state.database.engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (7, POOL_OVERFLOW, POOL_TIMEOUT)
    (limit,) = [m for m in app.user_middleware if m.cls is ConcurrencyLimit]
    assert limit.kwargs["limit"] == 7 < pool.size() + POOL_OVERFLOW
    hooks = [h for h in app.router.on_startup if h.__name__ == "size_thread_pool"]
    assert len(hooks) == 1

    async def start() -> float:
        await hooks[0]()
        return float(anyio.to_thread.current_default_thread_limiter().total_tokens)

    # in a thread of its own: this worker's thread may already run an event loop (Playwright's)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as one:
        assert one.submit(anyio.run, start).result() >= 7 + POOL_OVERFLOW


def test_no_connection_in_time_is_503_with_retry_after(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, {"MAMORU_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}))

    def busy() -> None:
        raise PoolTimeout("QueuePool limit of size 7 overflow 8 reached")

    app.add_api_route("/api/v1/test-busy", busy)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/test-busy")
    assert r.status_code == 503 and r.headers["retry-after"] == "1", (r.status_code, r.text)
    assert r.json()["detail"]
