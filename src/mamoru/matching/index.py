"""What a PDQ index answers, and the plain brute-force index every faster one is tested against.

A PDQ hash is 256 bits; here it is held as four uint64 words (its 32 bytes read in native byte
order, so the Hamming distance of the words is the distance of the hashes). An index answers
"every row within Hamming distance d of this hash", exactly: a row beyond d is never returned and
a row within d is never missed. Rows are positions in the array the index was built from; what a
row means (a bank entry) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Words = npt.NDArray[np.uint64]
"""(N, 4) uint64: N PDQ hashes; one hash is a (4,) array."""

MAX_DISTANCE = 63
"""The widest radius mamoru answers (a quarter of the bits: beyond it, matches are noise)."""
MATCH_DISTANCE = 31
"""PDQ's recommended match threshold (Hamming distance, inclusive): the default radius of every
query (index, matcher, API, command line) and the widest a platform may ask for (matching.answers)."""


@dataclass(frozen=True)
class Hits:
    """Rows within the radius and their distances, nearest first (ties by row)."""

    rows: npt.NDArray[np.int64]
    distances: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @classmethod
    def of(cls, rows: npt.ArrayLike, distances: npt.ArrayLike) -> Hits:
        r = np.asarray(rows, dtype=np.int64)
        d = np.asarray(distances, dtype=np.int32)
        order = np.lexsort((r, d))
        return cls(r[order], d[order])

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.empty(0, np.int64), np.empty(0, np.int32))


class PdqIndex(Protocol):
    """An exact radius search over a fixed set of PDQ hashes."""

    @property
    def size(self) -> int: ...

    def query(self, query: Words, max_distance: int = MATCH_DISTANCE) -> Hits: ...

    def query_many(self, queries: Words, max_distance: int = MATCH_DISTANCE) -> list[Hits]: ...


def check_distance(max_distance: int) -> int:
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"distance must be between 0 and {MAX_DISTANCE}, not {max_distance}")
    return int(max_distance)


def pdq_words(hexes: Iterable[str]) -> Words:
    """64-hex-digit PDQ hashes to an (N, 4) word array (ValueError on a malformed hash)."""
    items = list(hexes)
    raw = bytearray()
    for h in items:
        if len(h) != 64:
            raise ValueError(f"a PDQ hash has 64 hex digits, not {len(h)}: {h[:80]!r}")
        raw += bytes.fromhex(h)
    return np.frombuffer(bytes(raw), dtype=np.uint64).reshape(len(items), 4).copy()


def words_hex(words: Words) -> list[str]:
    """The inverse of `pdq_words`."""
    data = np.ascontiguousarray(words, dtype=np.uint64).tobytes()
    return [data[i:i + 32].hex() for i in range(0, len(data), 32)]


def distances(hashes: Words, query: Words) -> npt.NDArray[np.int32]:
    """Hamming distance from one query to every hash (NumPy, obviously right)."""
    counts: npt.NDArray[np.int32] = np.bitwise_count(hashes ^ query.reshape(1, 4)).sum(axis=1, dtype=np.int32)
    return counts


class BruteForceIndex:
    """The oracle: XOR and popcount against every row. Slow at millions, always right."""

    def __init__(self, hashes: Words):
        self.hashes = np.ascontiguousarray(hashes, dtype=np.uint64).reshape(-1, 4)

    @property
    def size(self) -> int:
        return int(self.hashes.shape[0])

    def query(self, query: Words, max_distance: int = MATCH_DISTANCE) -> Hits:
        d = distances(self.hashes, np.asarray(query, dtype=np.uint64))
        rows = np.nonzero(d <= check_distance(max_distance))[0]
        return Hits.of(rows, d[rows])

    def query_many(self, queries: Words, max_distance: int = MATCH_DISTANCE) -> list[Hits]:
        return [self.query(q, max_distance) for q in np.asarray(queries, dtype=np.uint64)]


def same_hits(a: Hits, b: Hits) -> bool:
    return bool(np.array_equal(a.rows, b.rows) and np.array_equal(a.distances, b.distances))


def as_query_array(queries: Words | Sequence[Words]) -> Words:
    return np.ascontiguousarray(np.asarray(queries, dtype=np.uint64).reshape(-1, 4))
