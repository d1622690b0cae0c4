"""The matcher's query counters, collected in memory and written every few seconds.

Every match request of a platform adds to one row (its queries and matched queries of the day, and
its matches per bank). Written in the request's own transaction, that row was locked from the
request's upsert until its commit, so all the requests of one token queued behind each other on it
(docs/performance.md, Load). A matcher process now adds each request's counts here, in memory, and
writes what it has collected at most every `seconds` seconds in one short transaction of its own
(`mamoru.db.add_to_counter`, the same INSERT ... ON CONFLICT DO UPDATE), and at shutdown. With
`seconds` 0 the counts are written at once, still in a transaction of their own.

What a process has not written yet is lost if it is killed (at most `seconds` of counts); a write
that fails keeps the counts for the next one.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date

from mamoru.db import Database, add_to_counter
from mamoru.matching.models import MatchCount, QueryCount

log = logging.getLogger("mamoru.matching")


class QueryCounts:
    def __init__(self, database: Database, seconds: float = 2.0, today: Callable[[], date] = date.today) -> None:
        self.database, self.seconds, self.today = database, seconds, today
        self._queries: Counter[tuple[int, date]] = Counter()
        self._matched: Counter[tuple[int, date]] = Counter()
        self._matches: Counter[tuple[int, int, date]] = Counter()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._timer: threading.Timer | None = None
        self._closed = False

    def add(self, user_id: int, queries: int, matched: int, per_bank: Counter[int]) -> None:
        """Count one request (no database access unless `seconds` is 0)."""
        day = self.today()
        with self._lock:
            self._queries[(user_id, day)] += queries
            self._matched[(user_id, day)] += matched
            for bank_id, n in per_bank.items():
                self._matches[(user_id, bank_id, day)] += n
            if self.seconds > 0 and self._timer is None and not self._closed:
                self._timer = threading.Timer(self.seconds, self._on_timer)
                self._timer.daemon = True
                self._timer.start()
        if self.seconds <= 0 or self._closed:
            self.flush()

    def pending(self) -> int:
        """Queries counted and not written yet."""
        with self._lock:
            return sum(self._queries.values())

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - kept for the next write; logged, never raised in a timer thread
            log.exception("writing the match counters failed; they are kept for the next write")

    def flush(self) -> int:
        """Write what has been collected, in one transaction; returns the queries written. On failure
        the counts go back to the buffer and the error is raised."""
        with self._flushing:
            with self._lock:
                queries, matched, matches = self._queries, self._matched, self._matches
                self._queries, self._matched, self._matches = Counter(), Counter(), Counter()
            if not queries and not matches:
                return 0
            try:
                with self.database.session() as s:
                    for user_id, day in sorted(queries):  # one order for every writer: no deadlock between two
                        add_to_counter(s, QueryCount, {"user_id": user_id, "day": day},
                                       {"queries": queries[(user_id, day)], "matched": matched[(user_id, day)]})
                    for user_id, bank_id, day in sorted(matches):
                        add_to_counter(s, MatchCount, {"user_id": user_id, "bank_id": bank_id, "day": day},
                                       {"matches": matches[(user_id, bank_id, day)]})
            except BaseException:
                with self._lock:
                    self._queries.update(queries)
                    self._matched.update(matched)
                    self._matches.update(matches)
                raise
            return sum(queries.values())

    def close(self) -> None:
        """Stop the timer and write what is left (at shutdown); later counts are written at once."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush()
