"""Rate limits for report intake, keyed without keeping anyone's address.

The key of an anonymous reporter is an HMAC of the client address with a secret, so not even the
limiter holds the address. Counters live in memory (one process) or, when several processes serve,
in the database table hl_rate_counters, with a short expiry after which rows are deleted, or in
Redis (MAMORU_HOTLINE_REDIS_URL), whose keys expire on their own. Trusted
flaggers are counted per API token with their own, larger limit.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlsplit

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


@dataclass
class RedisRateLimiter:
    """Counters in Redis (INCR, then EXPIRE on the first hit of a window), spoken in plain RESP over one
    socket so that no client library is needed. `url` is redis://host[:port][/db]."""

    url: str
    timeout: float = 2.0
    prefix: str = "mamoru:hotline:rate"
    _sock: socket.socket | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _connect(self) -> socket.socket:
        parts = urlsplit(self.url)
        sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=self.timeout)
        db = (parts.path or "/").strip("/")
        if db and db != "0":
            self._command(sock, "SELECT", db)
        return sock

    @staticmethod
    def _command(sock: socket.socket, *args: str) -> int:
        wire = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
        sock.sendall(wire.encode())
        line = b""
        while not line.endswith(b"\r\n"):
            chunk = sock.recv(1)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            line += chunk
        if line[:1] == b"-":
            raise ConnectionError(f"redis: {line[1:].decode().strip()}")
        return int(line[1:]) if line[:1] == b":" else 0

    def allow(self, key: str, limit: int, window_seconds: int) -> bool:
        window = int(time.time() // window_seconds)
        name = f"{self.prefix}:{key}:{window}"
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._sock is None:
                        self._sock = self._connect()
                    hits = self._command(self._sock, "INCR", name)
                    if hits == 1:
                        self._command(self._sock, "EXPIRE", name, str(window_seconds * 2))
                    return hits <= limit
                except OSError:
                    if self._sock is not None:
                        self._sock.close()
                    self._sock = None
                    if attempt == 2:
                        raise
        return False
