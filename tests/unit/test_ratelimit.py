"""Rate limiters against one interface (mamoru.ratelimit): fixed windows in memory, a sliding window
in memory, and Redis when a server listens on loopback."""

from __future__ import annotations

import os
import secrets
import socket

import pytest

from mamoru.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter, SlidingWindowLimiter


def test_memory_limiter_counts_per_key_and_window() -> None:
    now = [1000.0]
    lim = MemoryRateLimiter(clock=lambda: now[0])
    assert [lim.allow("a", 2, 60) for _ in range(3)] == [True, True, False]
    assert lim.allow("b", 2, 60)
    now[0] += 60
    assert lim.allow("a", 2, 60)


def test_sliding_window_counts_the_last_window_seconds() -> None:
    now = [1000.0]
    lim: RateLimiter = SlidingWindowLimiter(clock=lambda: now[0])
    assert [lim.allow("a", 2, 60) for _ in range(3)] == [True, True, False]
    now[0] += 59
    assert not lim.allow("a", 2, 60) and lim.allow("b", 2, 60)
    now[0] += 1  # the first two requests are now 60 s old
    assert lim.allow("a", 2, 60)


def test_redis_limiter_when_available() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        if os.environ.get("CI"):  # .ci/run installs and starts one: a missing server is a failure there
            pytest.fail("no Redis server on 127.0.0.1:6379 (.ci/run should have started one)")
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = "mamoru:test:rate"
    a, b = RedisRateLimiter("redis://127.0.0.1:6379/0", prefix), RedisRateLimiter("redis://127.0.0.1:6379/0", prefix)
    key = "test-" + secrets.token_hex(6)
    assert [lim.allow(key, 3, 5) for lim in (a, b, a, b)] == [True, True, True, False]


def test_redis_down_is_an_error_not_a_pass() -> None:
    with pytest.raises(OSError):
        RedisRateLimiter("redis://127.0.0.1:1/0", "mamoru:test:rate", timeout=0.5).allow("k", 3, 5)
