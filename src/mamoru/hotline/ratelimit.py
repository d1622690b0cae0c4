"""Rate limits for report intake, keyed without keeping anyone's address.

The key of an anonymous reporter is an HMAC of the client address with a secret, so not even the
limiter holds the address. Counters live in memory (one process) or, when several processes serve,
in the database table hl_rate_counters (DatabaseRateLimiter, here: the table is the hotline's),
with a short expiry after which rows are deleted, or in Redis (MAMORU_HOTLINE_REDIS_URL), whose
keys expire on their own; the memory and Redis stores are the shared ones of mamoru.ratelimit
(`limiter_for` picks one from the settings). Trusted flaggers are counted per API token with their
own, larger limit.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from mamoru.db import Database, utcnow
from mamoru.hotline.models import RateCounter
from mamoru.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_PREFIX = "mamoru:hotline:rate"


def client_key(secret: str, address: str) -> str:
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class DatabaseRateLimiter:
    """Shared between processes; rows expire after their window and are purged as we go."""

    database: Database

    def allow(self, key: str, limit: int, window_seconds: int) -> bool:
        now = utcnow()
        window = int(now.timestamp() // window_seconds)
        with self.database.session() as s:
            s.execute(delete(RateCounter).where(RateCounter.expires_at < now))
            done = s.execute(update(RateCounter).where(RateCounter.key == key, RateCounter.window == window)
                             .values(hits=RateCounter.hits + 1)).rowcount  # type: ignore[attr-defined]
            if not done:
                try:
                    with s.begin_nested():
                        s.add(RateCounter(key=key, window=window, hits=1,
                                          expires_at=now + timedelta(seconds=window_seconds)))
                except IntegrityError:
                    s.execute(update(RateCounter).where(RateCounter.key == key, RateCounter.window == window)
                              .values(hits=RateCounter.hits + 1))
            hits = s.scalar(select(RateCounter.hits).where(RateCounter.key == key, RateCounter.window == window)) or 0
        return hits <= limit


def limiter_for(rate_store: str, redis_url: str, database: Database) -> RateLimiter:
    """The store MAMORU_HOTLINE_RATE_STORE names: database, redis (MAMORU_HOTLINE_REDIS_URL, default
    the local server) or memory."""
    if rate_store == "database":
        return DatabaseRateLimiter(database)
    if rate_store == "redis":
        return RedisRateLimiter(redis_url or "redis://127.0.0.1:6379/0", prefix=REDIS_PREFIX)
    return MemoryRateLimiter()
