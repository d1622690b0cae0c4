"""Answers match queries from a snapshot plus an overlay of what changed since it was built.

The snapshot is rebuilt now and then; between rebuilds, additions and disablings reach the
matcher through a small overlay: added PDQ hashes are searched by brute force, added digests by a
dictionary, and disabled entries are dropped from every answer. The matcher swaps its
(snapshot, overlay) pair in one assignment, so a query never sees half of a reload, and every answer
carries `AnsweredBy`: which snapshot version and which overlay version produced it.

Pure: no database, no web. The service builds snapshots and overlays from the banks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mamoru.matching.exact import DIGEST_BYTES
from mamoru.matching.index import MATCH_DISTANCE, Hits, Words, as_query_array, distances
from mamoru.matching.snapshot import Snapshot


@dataclass(frozen=True, order=True)
class Match:
    distance: int
    entry_id: int
    bank_id: int


@dataclass(frozen=True)
class AnsweredBy:
    snapshot_version: int
    overlay_version: int
    overlay_added: int
    overlay_disabled: int

    def as_dict(self) -> dict[str, int]:
        return {"snapshot_version": self.snapshot_version, "overlay_version": self.overlay_version,
                "overlay_added": self.overlay_added, "overlay_disabled": self.overlay_disabled}


@dataclass(frozen=True)
class Overlay:
    """Changes since the snapshot, up to data version `version`."""

    version: int
    pdq_hashes: Words = field(default_factory=lambda: np.empty((0, 4), np.uint64))
    pdq_entry_ids: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    pdq_bank_ids: npt.NDArray[np.int32] = field(default_factory=lambda: np.empty(0, np.int32))
    exact: dict[str, dict[bytes, list[tuple[int, int]]]] = field(default_factory=dict)
    disabled: frozenset[int] = frozenset()

    @property
    def added(self) -> int:
        return len(self.pdq_entry_ids) + sum(len(v) for d in self.exact.values() for v in d.values())


class Matcher:
    """Thread-safe reader over the current (snapshot, overlay)."""

    def __init__(self, snapshot: Snapshot, overlay: Overlay | None = None):
        self._state = (snapshot, overlay or Overlay(snapshot.version))

    @property
    def snapshot(self) -> Snapshot:
        return self._state[0]

    @property
    def overlay(self) -> Overlay:
        return self._state[1]

    def swap(self, snapshot: Snapshot | None = None, overlay: Overlay | None = None) -> None:
        """Install a new snapshot and/or overlay; queries already running finish on the old one."""
        snap = snapshot or self._state[0]
        self._state = (snap, overlay or Overlay(snap.version))

    def answered_by(self) -> AnsweredBy:
        return _answered(*self._state)

    def match_pdq(self, queries: Words, max_distance: int = MATCH_DISTANCE,
                  banks: Collection[int] | None = None) -> tuple[list[list[Match]], AnsweredBy]:
        snap, over = self._state
        qs = as_query_array(queries)
        hits = snap.index.query_many(qs, max_distance) if len(qs) > 1 else \
            [snap.index.query(q, max_distance) for q in qs]
        out = []
        for q, h in zip(qs, hits, strict=True):
            found = _matches(h, snap.pdq_entry_ids, snap.pdq_bank_ids, over.disabled, banks)
            if len(over.pdq_entry_ids):
                d = distances(over.pdq_hashes, q)
                rows = np.nonzero(d <= max_distance)[0]
                found += _matches(Hits.of(rows, d[rows]), over.pdq_entry_ids, over.pdq_bank_ids,
                                  frozenset(), banks)
            out.append(sorted(found))
        return out, _answered(snap, over)

    def match_exact(self, signal: str, digests: Sequence[bytes],
                    banks: Collection[int] | None = None) -> tuple[list[list[Match]], AnsweredBy]:
        if signal not in DIGEST_BYTES:
            raise ValueError(f"no exact lookup for signal type {signal!r}")
        snap, over = self._state
        table = snap.exact[signal]
        extra = over.exact.get(signal, {})
        out = []
        for digest in digests:
            pos = table.lookup(digest)
            found = [Match(0, int(e), int(b)) for e, b in
                     zip(table.entry_ids[pos], table.bank_ids[pos], strict=True)
                     if int(e) not in over.disabled and (banks is None or int(b) in banks)]
            found += [Match(0, e, b) for e, b in extra.get(digest, [])
                      if banks is None or b in banks]
            out.append(sorted(found))
        return out, _answered(snap, over)


def _matches(hits: Hits, entry_ids: npt.NDArray[np.int64], bank_ids: npt.NDArray[np.int32],
             disabled: frozenset[int], banks: Collection[int] | None) -> list[Match]:
    out = []
    for row, dist in zip(hits.rows, hits.distances, strict=True):
        e, b = int(entry_ids[row]), int(bank_ids[row])
        if e not in disabled and (banks is None or b in banks):
            out.append(Match(int(dist), e, b))
    return out


def _answered(snap: Snapshot, over: Overlay) -> AnsweredBy:
    return AnsweredBy(snap.version, over.version, over.added, len(over.disabled))
