"""Rate limiting, one interface (`RateLimiter.allow(key, limit, window_seconds)`) for every door
that limits requests: the hotline's report intake and the match API.

Implementations here need no domain's tables: `MemoryRateLimiter` (fixed windows, one process;
counts as the shared stores do), `SlidingWindowLimiter` (a sliding window, one process; the match
API's default) and `RedisRateLimiter` (shared by processes; keys expire on their own). A store in
a domain's own table implements the same protocol there (the hotline's DatabaseRateLimiter, table
hl_rate_counters). Keys are the caller's: none of these sees more than the key it is given.

This module is foundation: it imports no domain.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit


class RateLimiter(Protocol):
    def allow(self, key: str, limit: int, window_seconds: int) -> bool:
        """Count one request under `key`; False when the limit for the current window is passed."""
        ...


@dataclass
class MemoryRateLimiter:
    """Fixed windows (the clock's time divided by the window), in this process."""

    clock: Callable[[], float] = time.time
    _counts: dict[tuple[str, int], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str, limit: int, window_seconds: int) -> bool:
        now = self.clock()
        window = int(now // window_seconds)
        with self._lock:
            if len(self._counts) > 10_000:  # forget past windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window - 1}
            n = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = n
        return n <= limit


class SlidingWindowLimiter:
    """Sliding window per key, in this process: at most `limit` requests in any `window_seconds`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int, window_seconds: int) -> bool:
        window = float(window_seconds)
        now = self._clock()
        with self._lock:
            q = self._seen.setdefault(key, deque())
            while q and q[0] <= now - window:
                q.popleft()
            if len(q) >= limit:
                return False
            q.append(now)
            return True


@dataclass
class RedisRateLimiter:
    """Counters in Redis (INCR, then EXPIRE on the first hit of a window), spoken in plain RESP over one
    socket so that no client library is needed. `url` is redis://host[:port][/db]; `prefix` names
    the caller's keys (mamoru:hotline:rate, mamoru:match:rate). OSError when Redis cannot be reached:
    the caller decides (the doors refuse rather than serve unlimited)."""

    url: str
    prefix: str
    timeout: float = 2.0
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
