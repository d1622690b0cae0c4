"""Made-up PDQ hash sets for tests and benchmarks (seeded; no image involved).

Uniform random hashes are the easy case for a multi-index. Real banks are clustered: many
near-duplicates of one picture (re-encodes, resizes) lie within a few to forty bits of each other,
and some hashes have skewed bit balance (flat or dark pictures). `clustered` makes both, and
`planted` makes queries at exactly known distances from chosen rows.
"""

from __future__ import annotations

import numpy as np

from mamoru.matching.index import Words


def uniform(n: int, rng: np.random.Generator) -> Words:
    return rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)


def flip_bits(words: Words, positions: np.ndarray, active: np.ndarray) -> Words:
    """XOR bit positions[i, j] (0-255) into row i wherever active[i, j]."""
    out = words.copy()
    one = np.uint64(1)
    for j in range(positions.shape[1]):
        pos = positions[:, j]
        for w in range(4):
            sel = active[:, j] & ((pos >> 6) == w)
            out[sel, w] ^= one << (pos[sel] & 63).astype(np.uint64)
    return out


def skewed(n: int, rng: np.random.Generator, low: float = 0.15, high: float = 0.35) -> Words:
    """Hashes whose bits are 1 with probability p in [low, high] (p drawn per hash)."""
    out = np.empty((n, 4), np.uint64)
    for s in range(0, n, 65536):
        e = min(n, s + 65536)
        p = rng.uniform(low, high, size=(e - s, 1))
        bits = rng.random((e - s, 256)) < p
        out[s:e] = np.packbits(bits, axis=1).view(np.uint64)
    return out


def clustered(n: int, rng: np.random.Generator, per_cluster: int = 40,
              skewed_share: float = 0.1, max_flip: int = 40) -> Words:
    """Centres, each with near-duplicates 1 to `max_flip` bits away, plus skewed hashes; shuffled."""
    n_skew = int(n * skewed_share)
    n_rest = n - n_skew
    n_centres = max(1, n_rest // per_cluster)
    centres = uniform(n_centres, rng)
    members = centres[rng.integers(0, n_centres, size=n_rest - n_centres)]
    k = rng.integers(1, max_flip + 1, size=len(members))
    positions = rng.integers(0, 256, size=(len(members), max_flip))
    active = np.arange(max_flip)[None, :] < k[:, None]
    members = flip_bits(members, positions, active)
    out = np.concatenate([centres, members, skewed(n_skew, rng)])
    rng.shuffle(out)
    return out


def planted(hashes: Words, rng: np.random.Generator, dists: list[int],
            per_distance: int) -> tuple[Words, np.ndarray, np.ndarray]:
    """Queries at exactly each distance from random rows: (queries, source rows, distances)."""
    rows = rng.integers(0, len(hashes), size=len(dists) * per_distance)
    want = np.repeat(np.asarray(dists), per_distance)
    positions = np.stack([rng.permutation(256) for _ in range(len(rows))])
    active = np.arange(256)[None, :] < want[:, None]
    return flip_bits(hashes[rows], positions, active), rows, want
