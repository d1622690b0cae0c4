"""Rate limiters against one interface: in memory, and Redis when a server listens on loopback."""

from __future__ import annotations

import os
import secrets
import socket

import pytest

from mamoru.hotline.ratelimit import MemoryRateLimiter, RedisRateLimiter, client_key


def test_memory_limiter_counts_per_key_and_window() -> None:
    now = [1000.0]
    lim = MemoryRateLimiter(clock=lambda: now[0])
    assert [lim.allow("a", 2, 60) for _ in range(3)] == [True, True, False]
    assert lim.allow("b", 2, 60)
    now[0] += 60
    assert lim.allow("a", 2, 60)


def test_keys_do_not_reveal_the_address() -> None:
    k = client_key("secret", "198.51.100.23")
    assert "198.51.100.23" not in k and k == client_key("secret", "198.51.100.23") != client_key("other", "198.51.100.23")


def test_redis_limiter_when_available() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        if os.environ.get("CI"):  # .ci/run installs and starts one: a missing server is a failure there
            pytest.fail("no Redis server on 127.0.0.1:6379 (.ci/run should have started one)")
        pytest.skip("no Redis server on 127.0.0.1:6379")
    a, b = RedisRateLimiter("redis://127.0.0.1:6379/0"), RedisRateLimiter("redis://127.0.0.1:6379/0")
    key = "test-" + secrets.token_hex(6)
    assert [lim.allow(key, 3, 5) for lim in (a, b, a, b)] == [True, True, True, False]
