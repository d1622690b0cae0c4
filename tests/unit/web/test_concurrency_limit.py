"""web/limits.py ConcurrencyLimit: a bounded number of requests in flight, a bounded queue with a
bounded wait, and beyond that a quick 503 with Retry-After (never a stall, never a 500)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.asyncrun import run_isolated

from mamoru.web.limits import BodyFirst, ConcurrencyLimit


def _scope(path: str = "/report") -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": path, "headers": []}


async def _call(app: Any, path: str = "/report") -> tuple[int, dict[bytes, bytes], float]:
    sent: list[dict[str, Any]] = []
    started = time.monotonic()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_scope(path), receive, send)
    return sent[0]["status"], dict(sent[0].get("headers", [])), time.monotonic() - started


def _slow_app(release: asyncio.Event, entered: list[int]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        entered.append(1)
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    return app


def test_in_flight_queue_and_refusal() -> None:
    async def scenario() -> list[tuple[int, dict[bytes, bytes], float]]:
        release, entered = asyncio.Event(), []
        limited = ConcurrencyLimit(_slow_app(release, entered), limit=2, queue=1, wait=0.3)
        running = [asyncio.create_task(_call(limited)) for _ in range(2)]
        await asyncio.sleep(0.05)
        queued = asyncio.create_task(_call(limited))  # waits for a place...
        await asyncio.sleep(0.05)
        full = await _call(limited)  # ...and the queue is full: 503 at once
        timed_out = await queued  # nobody left: 503 after the wait
        health = asyncio.create_task(_call(limited, "/api/v1/health"))  # skips the queue
        await asyncio.sleep(0.05)
        assert len(entered) == 3
        release.set()
        return [full, timed_out, *(await asyncio.gather(*running)), await health]

    full, timed_out, first, second, health = run_isolated(scenario())
    assert full[0] == 503 and full[1][b"retry-after"] == b"1" and full[2] < 0.1
    assert timed_out[0] == 503 and timed_out[1][b"retry-after"] == b"1" and 0.25 < timed_out[2] < 1.0
    assert (first[0], second[0], health[0]) == (200, 200, 200)


def test_a_waiting_request_gets_the_place_that_frees() -> None:
    async def scenario() -> tuple[int, float]:
        release, entered = asyncio.Event(), []
        limited = ConcurrencyLimit(_slow_app(release, entered), limit=1, queue=5, wait=2.0)
        first = asyncio.create_task(_call(limited))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(_call(limited))
        await asyncio.sleep(0.1)
        release.set()
        await first
        status, _, took = await second
        return status, took

    status, took = run_isolated(scenario())
    assert status == 200 and took < 1.0


def test_body_first_reads_the_body_then_replays_it_and_times_out_slow_ones() -> None:
    seen: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append(message["body"])
        assert message["more_body"] is False
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def scenario(delay: float) -> int:
        parts = [b"url=", b"http://a.example.test/"]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(delay)
            body = parts.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(parts)}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await BodyFirst(app, seconds=0.3)(_scope(), receive, send)
        return int(sent[0]["status"])

    assert run_isolated(scenario(0.0)) == 200 and seen == [b"url=http://a.example.test/"]
    assert run_isolated(scenario(0.2)) == 408 and len(seen) == 1  # 0.4 s for the whole body: cut off at 0.3
