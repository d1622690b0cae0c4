"""The fast exact PDQ index: multi-index hashing tuned to 256 bits.

The 256 bits are cut into 11 chunks (eight of 23 bits, three of 24). If two hashes are within
distance d, then for any radii r_t with sum(r_t + 1) >= d + 1 some chunk t differs in at most r_t
bits (pigeonhole). So a query looks, for each chunk, for every row whose chunk is within r_t of
its own, and verifies each row found with a full popcount. Radii are chosen per query distance
(greedily, cheapest first) so that smaller distances are cheaper and larger ones stay exact; when
the lookups would cost more than reading every hash, the query scans all hashes instead.

A table is a counting sort of all rows by its chunk: a directory of 2**D + 1 offsets on the top D
bits of the chunk (D about log2 N, at most 23) and, per row, one uint32 holding the row number and
the chunk's remaining low (suffix) bits. A chunk probed at radius r reads one bucket per flip of
the D directory bits of weight a <= r, and takes the bucket's entries whose suffix differs from
the query's in at most r - a bits: at d = 31 and a million hashes (D = 19) 1,930 buckets instead
of the 2,843 values within the radii, and about 300 candidates. Where most chunk values are absent
from the bank (up to two million hashes) and memory allows, each table also has a bitmap of the
values present, and only those values are looked up (about 330 of 2,866 at a million hashes: the
query takes 0.6 of the time). Memory at 10 million hashes: 32 bytes of hash, 44 bytes of table
entries, 37 of directories: 113 bytes per hash. A row reached through several chunks is reported
once: by the first chunk whose radius covers it.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np
import numpy.typing as npt

from mamoru.matching import mihkernels as k
from mamoru.matching.index import MATCH_DISTANCE, Hits, Words, as_query_array, check_distance

CHUNK_WIDTHS = (23,) * 8 + (24,) * 3
MAX_DIR_BITS = 23
MIN_DIR_BITS = 8
MAX_PROBE_RADIUS = 6
ENTRY_COST = 0.05
"""Cost of testing one bucket entry's suffix, in units of one random memory access."""
BIT_COST = 0.15
"""Cost of testing one chunk value in a bitmap (cache-resident: a fraction of a memory access)."""
BITMAP_MAX_LOAD = 0.25
"""Bitmaps are kept while at most this share of a chunk's values can be present (n / 2**width):
then most values within the radius are ruled out without reading the directory."""
BITMAP_BYTES_PER_HASH = 16
SCAN_COST_PER_ROW = 0.1
"""Cost of scanning one hash, in units of one probe and its expected candidates (measured at 10
million: 90,000 probes at d = 50 take 12 ms, a scan of every hash 46 ms)."""


@dataclass(frozen=True)
class Layout:
    """How the bits are cut and how large the directories are, for a given number of rows."""

    size: int
    dir_bits: int
    widths: tuple[int, ...] = CHUNK_WIDTHS
    bitmap: bool = False
    """Whether each table has a bitmap of the chunk values present (2**width bits)."""

    @classmethod
    def for_size(cls, n: int) -> Layout:
        """Bitmaps while they rule out most chunk values (at most BITMAP_MAX_LOAD of them can be
        present: two million hashes) and cost at most BITMAP_BYTES_PER_HASH (from about 920,000
        hashes: they are 14 MiB whatever the bank's size); with them, a directory half as large,
        since only the buckets of values present are read. Otherwise a directory of about one
        bucket per hash."""
        if n >= 2**31:
            raise ValueError("an index holds fewer than 2**31 hashes")
        bitmap = (n <= BITMAP_MAX_LOAD * 2 ** min(CHUNK_WIDTHS)
                  and sum(2**w // 8 for w in CHUNK_WIDTHS) <= BITMAP_BYTES_PER_HASH * n)
        bits = int(math.floor(math.log2(max(n, 1) * 0.9))) - int(bitmap) if n else MIN_DIR_BITS
        return cls(n, max(MIN_DIR_BITS, min(MAX_DIR_BITS, bits)), bitmap=bitmap)

    @property
    def bitmap_bases(self) -> tuple[int, ...]:
        """Where each table's bitmap starts in the bitmaps array, in bytes."""
        sizes = [(1 << w) // 8 for w in self.widths] if self.bitmap else [0] * len(self.widths)
        return tuple(int(b) for b in np.cumsum([0] + sizes[:-1]))

    @property
    def bitmap_bytes(self) -> int:
        return sum((1 << w) // 8 for w in self.widths) if self.bitmap else 0

    @property
    def starts(self) -> tuple[int, ...]:
        return tuple(int(s) for s in np.cumsum((0,) + self.widths[:-1]))

    @property
    def suffix_bits(self) -> tuple[int, ...]:
        return tuple(w - self.dir_bits for w in self.widths)

    @property
    def dir_len(self) -> int:
        return (1 << self.dir_bits) + 1

    def chunk_masks(self) -> npt.NDArray[np.uint64]:
        masks = np.zeros((len(self.widths), 4), np.uint64)
        for t, (s, w) in enumerate(zip(self.starts, self.widths, strict=True)):
            for bit in range(s, s + w):
                masks[t, bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
        return masks


@lru_cache(maxsize=32)
def flip_masks(width: int, radius: int) -> npt.NDArray[np.uint32]:
    """Every value of weight <= radius in `width` bits, lightest first."""
    out = [0]
    for weight in range(1, radius + 1):
        out.extend(sum(1 << b for b in c) for c in combinations(range(width), weight))
    return np.array(out, dtype=np.uint32)


@dataclass(frozen=True)
class ProbePlan:
    """Per chunk, the probe radius (-1: chunk not probed), and the directory flips to apply."""

    radii: npt.NDArray[np.int64]
    mask_base: npt.NDArray[np.int64]
    mask_len: npt.NDArray[np.int64]
    masks: npt.NDArray[np.uint32]
    weights: npt.NDArray[np.int64]

    @property
    def probes(self) -> int:
        return int(self.mask_len.sum())


@lru_cache(maxsize=256)
def choose_radii(widths: tuple[int, ...], dir_bits: int, n: int, d: int,
                 bitmap: bool = False) -> tuple[int, ...] | None:
    """Radii with sum(r + 1) >= d + 1 at least cost, or None when scanning everything is cheaper.

    Raising chunk t's radius to r verifies C(width, r) * n / 2**width more candidates, and reads
    C(dir_bits, r) more buckets (each a directory slot and the bucket's n / 2**dir_bits entries);
    with bitmaps, it tests C(width, r) more values and reads the bucket of those present.
    """
    budget = [0] * len(widths)
    cost = 0.0
    per_bucket = 1.0 + ENTRY_COST * n / 2.0 ** dir_bits
    for _ in range(d + 1):
        def step(t: int) -> float:
            r, w = budget[t], widths[t]
            values = math.comb(w, r)
            if bitmap:
                probing = values * (BIT_COST + -math.expm1(-n / 2.0 ** w) * per_bucket)
            else:
                probing = math.comb(dir_bits, r) * per_bucket
            return probing + values * n / 2.0 ** w
        t = min(range(len(widths)), key=step)
        cost += step(t)
        budget[t] += 1
    if max(budget) - 1 > MAX_PROBE_RADIUS or cost > SCAN_COST_PER_ROW * n + 2_000:
        return None
    return tuple(b - 1 for b in budget)


@lru_cache(maxsize=64)
def probe_plan(dir_bits: int, radii: tuple[int, ...],
               bitmap_widths: tuple[int, ...] | None = None) -> ProbePlan:
    """Per table, the flips of the directory bits within its radius; with bitmaps, the flips of
    the whole chunk (bitmap_widths)."""
    widths = bitmap_widths or (dir_bits,) * len(radii)
    parts = [flip_masks(w, r) if r >= 0 else np.empty(0, np.uint32)
             for w, r in zip(widths, radii, strict=True)]
    lens = np.array([len(p) for p in parts], np.int64)
    base = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    masks = np.concatenate(parts)
    weights = np.bitwise_count(masks).astype(np.int64)
    return ProbePlan(np.array(radii, np.int64), base, lens, masks, weights)


def build_bitmaps(hashes: Words, layout: Layout) -> npt.NDArray[np.uint8]:
    """Each table's bitmap of the chunk values present (empty when the layout has none)."""
    out = np.zeros(layout.bitmap_bytes, np.uint8)
    if layout.bitmap:
        for s, w, b in zip(layout.starts, layout.widths, layout.bitmap_bases, strict=True):
            k.build_bitmap(hashes, s, w, out[b:b + (1 << w) // 8])
    return out


class _Scratch:
    """One thread's working arrays for `query_one` (reused from query to query)."""

    def __init__(self, probes: int, cands: int, out: int):
        self.lo = np.empty(probes, np.int64)
        self.hi = np.empty(probes, np.int64)
        self.val = np.empty(probes, np.uint32)
        self.tab = np.empty(probes, np.int64)
        self.cand_row = np.empty(cands, np.uint32)
        self.cand_tab = np.empty(cands, np.int64)
        self.out_r = np.empty(out, np.uint32)
        self.out_d = np.empty(out, np.int32)


def _no_hits() -> Hits:
    hits = Hits.empty()
    hits.rows.flags.writeable = False
    hits.distances.flags.writeable = False
    return hits


_NO_HITS = _no_hits()


class MultiIndex:
    """Exact radius search; arrays may be memory-mapped from a snapshot (read only)."""

    def __init__(self, hashes: Words, layout: Layout, dirs: npt.NDArray[np.uint32],
                 packed: npt.NDArray[np.uint32], bitmaps: npt.NDArray[np.uint8] | None = None):
        self.hashes = hashes
        self.layout = layout
        self.dirs = dirs
        self.packed = packed
        if bitmaps is None:
            bitmaps = build_bitmaps(hashes, layout)
        if bitmaps.shape != (layout.bitmap_bytes,):
            raise ValueError("bitmaps do not match the layout")
        self.bitmaps = bitmaps
        self._bm_base = np.array(layout.bitmap_bases, np.int64)
        self._starts = np.array(layout.starts, np.int64)
        self._widths = np.array(layout.widths, np.int64)
        self._sbs = np.array(layout.suffix_bits, np.int64)
        self._dir_base = np.arange(len(layout.widths), dtype=np.int64) * layout.dir_len
        self._chunkmasks = layout.chunk_masks()
        self._local = threading.local()
        self._prep: dict[int, tuple[int, tuple[object, ...]] | None] = {}

    @classmethod
    def build(cls, hashes: Words, layout: Layout | None = None) -> MultiIndex:
        hashes = np.ascontiguousarray(hashes, dtype=np.uint64).reshape(-1, 4)
        layout = layout or Layout.for_size(hashes.shape[0])
        m = len(layout.widths)
        dirs = np.empty(m * layout.dir_len, np.uint32)
        packed = np.empty(m * layout.size, np.uint32)
        for t, (s, w) in enumerate(zip(layout.starts, layout.widths, strict=True)):
            k.build_table(hashes, s, w, layout.dir_bits,
                          dirs[t * layout.dir_len:(t + 1) * layout.dir_len],
                          packed[t * layout.size:(t + 1) * layout.size])
        return cls(hashes, layout, dirs, packed, build_bitmaps(hashes, layout))

    @property
    def size(self) -> int:
        return self.layout.size

    @property
    def nbytes(self) -> int:
        return int(self.hashes.nbytes + self.dirs.nbytes + self.packed.nbytes
                   + self.bitmaps.nbytes)

    def plan(self, max_distance: int) -> ProbePlan | None:
        lay = self.layout
        radii = choose_radii(lay.widths, lay.dir_bits, self.size, check_distance(max_distance),
                             lay.bitmap)
        if radii is None:
            return None
        return probe_plan(lay.dir_bits, radii, lay.widths if lay.bitmap else None)

    def _args(self, plan: ProbePlan) -> tuple[object, ...]:
        return (self._starts, self._widths, self._sbs, plan.radii, self._dir_base, self.dirs,
                self.packed, plan.mask_base, plan.mask_len, plan.masks, plan.weights,
                self._chunkmasks, self.bitmaps, self._bm_base)

    def _prepared(self, max_distance: int) -> tuple[int, tuple[object, ...]] | None:
        """(probes, kernel arguments) for this radius, or None when the query scans."""
        try:
            return self._prep[max_distance]
        except KeyError:
            plan = self.plan(max_distance)
            prep = None if plan is None or self.size == 0 else (plan.probes, self._args(plan))
            self._prep[max_distance] = prep
            return prep

    def _scratch(self, probes: int) -> _Scratch:
        sc: _Scratch | None = getattr(self._local, "scratch", None)
        if sc is None or sc.lo.shape[0] < probes:
            sc = _Scratch(probes, 8192, 64)
            self._local.scratch = sc
        return sc

    def query(self, query: Words, max_distance: int = MATCH_DISTANCE) -> Hits:
        q = query
        if not (type(q) is np.ndarray and q.dtype == np.uint64 and q.shape == (4,)
                and q.flags.c_contiguous):
            q = np.ascontiguousarray(query, dtype=np.uint64).reshape(4)
        prep = self._prepared(max_distance)
        if prep is None:
            return self._scan(q, max_distance)
        probes, args = prep
        sc = self._scratch(probes)
        while True:
            found = k.query_one(self.hashes, q, max_distance, *args, sc.out_r, sc.out_d,
                                sc.lo, sc.hi, sc.val, sc.tab, sc.cand_row, sc.cand_tab)
            if found == 0:
                return _NO_HITS
            if found < 0:
                sc = _Scratch(sc.lo.shape[0], -found, sc.out_r.shape[0])
            elif found > sc.out_r.shape[0]:
                sc = _Scratch(sc.lo.shape[0], sc.cand_row.shape[0], found)
            else:
                return Hits(sc.out_r[:found].astype(np.int64), sc.out_d[:found].copy())
            self._local.scratch = sc

    def query_many(self, queries: Words, max_distance: int = MATCH_DISTANCE,
                   threads: int = 2) -> list[Hits]:
        qs = as_query_array(queries)
        plan = self.plan(max_distance)
        if plan is None or self.size == 0 or len(qs) < 2 * threads:
            return [self.query(q, max_distance) for q in qs]
        per_query = 256
        rows, dists, counts = k.query_many(self.hashes, qs, max_distance, *self._args(plan),
                                           per_query, 1 << 16, threads)
        out = []
        for i, c in enumerate(counts.tolist()):
            if c == 0:
                out.append(_NO_HITS)
            elif 0 < c <= per_query:
                out.append(Hits(rows[i, :c].copy(), dists[i, :c].copy()))
            else:
                out.append(self.query(qs[i], max_distance))
        return out

    def _scan(self, q: Words, max_distance: int) -> Hits:
        if self.size == 0:
            return Hits.empty()
        d = k.scan_distances(self.hashes, q)
        rows = np.nonzero(d <= max_distance)[0]
        return Hits.of(rows, d[rows])
