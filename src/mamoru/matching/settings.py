"""The matcher's settings: every MAMORU_MATCH_* variable, declared and parsed here alone.

A matcher process receives them as `settings.domain(MatchingSettings)`; the snapshot folder's
default follows the core settings' var_dir. docs/settings.md is generated from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mamoru.config import DEFAULT_VAR_DIR, NUMBER, PATH, RATE, setting


@dataclass(frozen=True)
class MatchingSettings:
    domain_name: ClassVar[str] = "matching"

    snapshot_dir: Path = setting("MAMORU_MATCH_SNAPSHOT_DIR", "Folder of index snapshot files that matcher processes "
                                 "memory-map.", DEFAULT_VAR_DIR / "matching", parse=PATH,
                                 default_from=lambda v: v["core"].var_dir / "matching", default_doc="var/matching")
    poll_seconds: float = setting("MAMORU_MATCH_POLL_SECONDS", "Seconds between a matcher's checks for bank changes "
                                  "and newer snapshots.", 2.0, parse=NUMBER)
    rate: tuple[int, int] = setting("MAMORU_MATCH_RATE", "Match requests allowed per API token as N/SECONDS, counted "
                                    "per process unless MAMORU_MATCH_REDIS_URL is set.", (600, 60), parse=RATE)
    redis_url: str = setting("MAMORU_MATCH_REDIS_URL", "Redis shared by all matcher processes for the per-token rate "
                             "limit, redis://host[:port][/db] (empty: each process counts on its own; while Redis "
                             "does not answer, match requests are refused with 503).")
    count_seconds: float = setting("MAMORU_MATCH_COUNT_SECONDS", "Seconds a matcher process collects its query "
                                   "counters in memory before writing them (one short transaction; also at "
                                   "shutdown). 0: written with every request, in a transaction of their own.", 2.0,
                                   parse=NUMBER)
