"""The hotline's rate-limit keys and stores: anonymous reporters keyed without their address, and
the store MAMORU_HOTLINE_RATE_STORE names (the shared limiters are tested in tests/unit/test_ratelimit.py)."""

from __future__ import annotations

from mamoru.db import Database
from mamoru.hotline.ratelimit import REDIS_PREFIX, DatabaseRateLimiter, client_key, limiter_for
from mamoru.ratelimit import MemoryRateLimiter, RedisRateLimiter


def test_keys_do_not_reveal_the_address() -> None:
    k = client_key("secret", "198.51.100.23")
    assert "198.51.100.23" not in k and k == client_key("secret", "198.51.100.23") != client_key("other", "198.51.100.23")


def test_the_store_follows_the_setting() -> None:
    database = Database.from_url("sqlite://")
    assert isinstance(limiter_for("memory", "", database), MemoryRateLimiter)
    assert isinstance(limiter_for("database", "", database), DatabaseRateLimiter)
    redis = limiter_for("redis", "", database)
    assert isinstance(redis, RedisRateLimiter)
    assert (redis.url, redis.prefix) == ("redis://127.0.0.1:6379/0", REDIS_PREFIX)
    database.engine.dispose()
