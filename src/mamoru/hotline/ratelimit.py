"""Rate limits for report intake, keyed without keeping anyone's address.

The key of an anonymous reporter is an HMAC of the client address with a secret, so not even the
limiter holds the address. Counters live in memory (one process) or, when several processes serve,
in the database table hl_rate_counters, with a short expiry after which rows are deleted. Trusted
flaggers are counted per API token with their own, larger limit.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from mamoru.db import Database, utcnow
from mamoru.hotline.models import RateCounter


def client_key(secret: str, address: str) -> str:
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


class RateLimiter(Protocol):
    def allow(self, key: str, limit: int, window_seconds: int) -> bool:
        """Count one request under `key`; False when the limit for the current window is passed."""
        ...


@dataclass
class MemoryRateLimiter:
    clock: object = time.time
    _counts: dict[tuple[str, int], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str, limit: int, window_seconds: int) -> bool:
        now = self.clock()  # type: ignore[operator]
        window = int(now // window_seconds)
        with self._lock:
            if len(self._counts) > 10_000:  # forget past windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window - 1}
            n = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = n
        return n <= limit


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
