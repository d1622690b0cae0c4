"""The fast index against the brute-force oracle: every answer identical, at every radius."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import DATA

from mamoru.matching import synthetic
from mamoru.matching.fastindex import Layout, MultiIndex, choose_radii, flip_masks
from mamoru.matching.index import BruteForceIndex, Hits, pdq_words, same_hits, words_hex

PLANTED = [0, 5, 20, 30, 31, 32, 33, 45]


def assert_same(fast: Hits, slow: Hits, context: object) -> None:
    assert same_hits(fast, slow), (context, fast, slow)


@pytest.fixture(scope="module")
def uniform_set() -> np.ndarray:
    return synthetic.uniform(60_000, np.random.default_rng(11))


@pytest.fixture(scope="module")
def clustered_set() -> np.ndarray:
    return synthetic.clustered(60_000, np.random.default_rng(12), per_cluster=30)


@pytest.mark.parametrize("kind", ["uniform_set", "clustered_set"])
def test_planted_queries_match_brute_force_at_every_boundary(kind: str, request: pytest.FixtureRequest) -> None:
    hashes = request.getfixturevalue(kind)
    fast, slow = MultiIndex.build(hashes), BruteForceIndex(hashes)
    rng = np.random.default_rng(13)
    queries, rows, dists = synthetic.planted(hashes, rng, PLANTED, per_distance=6)
    for q, row, dist in zip(queries, rows, dists, strict=True):
        for radius in (dist - 1, dist, dist + 1, 31):
            if not 0 <= radius <= 63:
                continue
            got = fast.query(q, radius)
            assert_same(got, slow.query(q, radius), (kind, dist, radius))
            assert (row in got.rows) == (dist <= radius)


@pytest.mark.parametrize("radius", [0, 8, 16, 24, 31, 40, 52, 63])
def test_random_and_near_queries_at_many_radii(clustered_set: np.ndarray, radius: int) -> None:
    fast, slow = MultiIndex.build(clustered_set), BruteForceIndex(clustered_set)
    rng = np.random.default_rng(radius)
    near, _, _ = synthetic.planted(clustered_set, rng, [radius // 2, radius], per_distance=5)
    queries = np.concatenate([synthetic.uniform(5, rng), near, synthetic.skewed(5, rng)])
    for i, q in enumerate(queries):
        assert_same(fast.query(q, radius), slow.query(q, radius), (radius, i))


def test_batch_answers_equal_single_answers(clustered_set: np.ndarray) -> None:
    fast, slow = MultiIndex.build(clustered_set), BruteForceIndex(clustered_set)
    rng = np.random.default_rng(14)
    near, _, _ = synthetic.planted(clustered_set, rng, [3, 15, 31], per_distance=40)
    queries = np.concatenate([near, clustered_set[:40]])
    for i, (got, q) in enumerate(zip(fast.query_many(queries, 31), queries, strict=True)):
        assert_same(got, slow.query(q, 31), i)


def test_dense_cluster_returns_every_member_once() -> None:
    """A query inside a cluster of 3,000 near-duplicates: more results than any buffer."""
    rng = np.random.default_rng(15)
    centre = synthetic.uniform(1, rng)
    k = rng.integers(1, 12, size=3000)
    positions = rng.integers(0, 256, size=(3000, 12))
    members = synthetic.flip_bits(np.repeat(centre, 3000, axis=0), positions,
                                  np.arange(12)[None, :] < k[:, None])
    hashes = np.concatenate([synthetic.uniform(20_000, rng), members])
    fast, slow = MultiIndex.build(hashes), BruteForceIndex(hashes)
    got = fast.query(centre[0], 31)
    assert len(got) == 3000 and len(set(got.rows.tolist())) == 3000
    assert_same(got, slow.query(centre[0], 31), "cluster")
    many = fast.query_many(np.repeat(centre, 6, axis=0), 31)
    assert all(same_hits(h, got) for h in many)


@pytest.mark.parametrize("bitmap", [False, True])
@pytest.mark.parametrize("widths,dir_bits", [
    ((16,) * 16, 16),            # directory on the whole chunk: no suffix bits
    ((16,) * 16, 9),             # 7 suffix bits: most probes share a bucket
    ((23,) * 8 + (24,) * 3, 12),  # the default widths with a small directory
    ((19,) * 4 + (20,) * 9, 19),  # mixed: 0 and 1 suffix bits
])
def test_any_layout_answers_exactly(clustered_set: np.ndarray, widths: tuple[int, ...],
                                    dir_bits: int, bitmap: bool) -> None:
    """Both probing paths are exact whatever the split between directory and suffix bits: one
    bucket per directory flip with the suffix distance checked per entry, and (bitmap) one
    lookup per chunk value within the radius that the bank holds."""
    hashes = clustered_set[:20_000]
    fast = MultiIndex.build(hashes, Layout(len(hashes), dir_bits, widths, bitmap))
    assert fast.bitmaps.nbytes == (sum(2 ** w // 8 for w in widths) if bitmap else 0)
    slow = BruteForceIndex(hashes)
    rng = np.random.default_rng(dir_bits)
    near, _, _ = synthetic.planted(hashes, rng, [0, 2, 9, 17, 30, 31, 32], per_distance=4)
    queries = np.concatenate([near, synthetic.uniform(4, rng)])
    for radius in (0, 1, 2, 5, 16, 31, 40):
        for i, q in enumerate(queries):
            assert_same(fast.query(q, radius), slow.query(q, radius), (widths[0], dir_bits, radius, i))
        for i, (got, q) in enumerate(zip(fast.query_many(queries, radius), queries, strict=True)):
            assert_same(got, slow.query(q, radius), ("batch", widths[0], dir_bits, radius, i))


def test_bitmaps_that_do_not_fit_the_layout_are_refused(uniform_set: np.ndarray) -> None:
    """A snapshot whose bitmaps array is cut short (or given to a layout without bitmaps) must not
    be searched with it: bits read past its end would rule values out at random."""
    hashes = uniform_set[:2_000]
    lay = Layout(len(hashes), 9, (16,) * 16, bitmap=True)
    built = MultiIndex.build(hashes, lay)
    with pytest.raises(ValueError, match="bitmaps do not match"):
        MultiIndex(built.hashes, lay, built.dirs, built.packed, built.bitmaps[:-1])
    plain = Layout(len(hashes), 9, (16,) * 16)
    with pytest.raises(ValueError, match="bitmaps do not match"):
        MultiIndex(built.hashes, plain, built.dirs, built.packed, built.bitmaps)


def test_answers_are_fresh_arrays(uniform_set: np.ndarray) -> None:
    """Working buffers are reused between queries: an answer must not change under a caller."""
    fast = MultiIndex.build(uniform_set)
    first = fast.query(uniform_set[0], 31)
    kept = first.rows.copy()
    for q in uniform_set[1:50]:
        fast.query(q, 31)
    assert np.array_equal(first.rows, kept) and kept.tolist() == [0]
    miss = fast.query(synthetic.uniform(1, np.random.default_rng(99))[0], 0)
    assert len(miss) == 0 and not miss.rows.flags.writeable


def test_conformance_haystack_and_needles() -> None:
    pdq = DATA / "conformance" / "pdq"
    haystack = pdq_words((pdq / "haystack.txt").read_text().split())
    needles = pdq_words((pdq / "needles.txt").read_text().split())
    fast, slow = MultiIndex.build(haystack), BruteForceIndex(haystack)
    total = 0
    for radius in (10, 31, 45, 63):
        for i, q in enumerate(needles):
            got = fast.query(q, radius)
            assert_same(got, slow.query(q, radius), (radius, i))
            total += len(got)
    assert total > 0  # the set is meant to have matches: an empty answer would prove nothing


def test_small_and_empty_indexes() -> None:
    rng = np.random.default_rng(16)
    assert len(MultiIndex.build(np.empty((0, 4), np.uint64)).query(synthetic.uniform(1, rng)[0])) == 0
    one = synthetic.uniform(1, rng)
    hit = MultiIndex.build(one).query(one[0], 0)
    assert hit.rows.tolist() == [0] and hit.distances.tolist() == [0]


def test_radius_plan_is_a_valid_pigeonhole_cover() -> None:
    for n in (1000, 10**6, 10**7):
        lay = Layout.for_size(n)
        for bitmap in (False, True):
            for d in range(64):
                radii = choose_radii(lay.widths, lay.dir_bits, n, d, bitmap)
                if radii is not None:
                    assert sum(r + 1 for r in radii) >= d + 1
            assert choose_radii(lay.widths, lay.dir_bits, n, 31, bitmap) is not None
    assert len(flip_masks(23, 2)) == 1 + 23 + 253


def test_layout_stays_within_memory_budget() -> None:
    """At most 118 bytes a hash (the issue's 128 less 12 for entry and bank ids); bitmaps only
    between about 920,000 and two million hashes."""
    for n in (10**3, 10**5, 900_000, 10**6, 2 * 10**6, 3 * 10**6, 10**7, 3 * 10**7):
        lay = Layout.for_size(n)
        table_bytes = len(lay.widths) * (4 * n + 4 * lay.dir_len)
        total = 32 * n + table_bytes + lay.bitmap_bytes
        assert n < 10**4 or total / n <= 118, n
        assert lay.bitmap == (10**6 <= n <= 2 * 10**6), n
        assert lay.bitmap_bytes <= 16 * n
        assert sum(lay.widths) == 256
        assert max(lay.suffix_bits) + n.bit_length() <= 32


def test_out_of_range_distance_is_refused(uniform_set: np.ndarray) -> None:
    fast = MultiIndex.build(uniform_set[:100])
    with pytest.raises(ValueError):
        fast.query(uniform_set[0], 64)


def test_hex_round_trip() -> None:
    hexes = words_hex(synthetic.uniform(3, np.random.default_rng(17)))
    assert words_hex(pdq_words(hexes)) == hexes
    with pytest.raises(ValueError):
        pdq_words(["abc"])
