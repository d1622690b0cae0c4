"""Run a coroutine to completion from a test, in a thread of its own: a browser test earlier in the
same worker process may leave an event loop running in this thread (Playwright's sync API), and
asyncio.run refuses to nest."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_isolated(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
