"""Exact lookup sets for MD5, SHA-1 and SHA-256: sorted digests, binary search, nothing to hash.

A set is two arrays in the same order: the digests (K, L) uint8 and their first eight bytes as a
big-endian uint64 (the search key), plus the entry id and bank id of each digest. The arrays can be
memory-mapped from a snapshot like the PDQ index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DIGEST_BYTES = {"md5": 16, "sha1": 20, "sha256": 32}
"""Signal type -> digest length in bytes."""


def digest_bytes(signal: str, hexes: Iterable[str]) -> npt.NDArray[np.uint8]:
    """Hex digests of one signal type to a (K, L) uint8 array (ValueError on a malformed one)."""
    length = DIGEST_BYTES[signal]
    raw = bytearray()
    count = 0
    for h in hexes:
        if len(h) != 2 * length:
            raise ValueError(f"a {signal} digest has {2 * length} hex digits, not {len(h)}")
        raw += bytes.fromhex(h)
        count += 1
    return np.frombuffer(bytes(raw), dtype=np.uint8).reshape(count, length).copy()


def _prefix(digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    return np.ascontiguousarray(digests[:, :8]).view(">u8").reshape(-1).astype(np.uint64)


@dataclass(frozen=True)
class ExactSet:
    signal: str
    digests: npt.NDArray[np.uint8]
    keys: npt.NDArray[np.uint64]
    entry_ids: npt.NDArray[np.int64]
    bank_ids: npt.NDArray[np.int32]

    @classmethod
    def build(cls, signal: str, digests: npt.NDArray[np.uint8], entry_ids: npt.ArrayLike,
              bank_ids: npt.ArrayLike) -> ExactSet:
        digests = np.ascontiguousarray(digests, dtype=np.uint8).reshape(-1, DIGEST_BYTES[signal])
        order = np.lexsort(digests.T[::-1]) if len(digests) else np.empty(0, np.int64)
        d = digests[order]
        return cls(signal, d, _prefix(d), np.asarray(entry_ids, np.int64)[order],
                   np.asarray(bank_ids, np.int32)[order])

    @classmethod
    def empty(cls, signal: str) -> ExactSet:
        return cls.build(signal, np.empty((0, DIGEST_BYTES[signal]), np.uint8),
                         np.empty(0, np.int64), np.empty(0, np.int32))

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def lookup(self, digest: bytes) -> npt.NDArray[np.int64]:
        """Positions (into entry_ids / bank_ids) of the entries with exactly this digest."""
        if len(digest) != self.digests.shape[1]:
            return np.empty(0, np.int64)
        key = np.uint64(int.from_bytes(digest[:8], "big"))
        lo = int(np.searchsorted(self.keys, key, "left"))
        hi = int(np.searchsorted(self.keys, key, "right"))
        want = np.frombuffer(digest, np.uint8)
        return np.array([i for i in range(lo, hi) if np.array_equal(self.digests[i], want)],
                        dtype=np.int64)

    def lookup_many(self, digests: Sequence[bytes]) -> list[npt.NDArray[np.int64]]:
        return [self.lookup(d) for d in digests]
