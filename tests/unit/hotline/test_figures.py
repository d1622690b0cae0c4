"""Percentiles, checked against plain definitions (fiscal years: tests/unit/test_periods.py)."""

from __future__ import annotations

import random

from mamoru.hotline.figures import percentile


def test_percentiles_against_sorting() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    rng = random.Random(7)
    for _ in range(100):
        xs = [rng.uniform(0, 1000) for _ in range(rng.randint(1, 40))]
        p50, p90 = percentile(xs, 50), percentile(xs, 90)
        assert p50 is not None and p90 is not None
        below = sum(x <= p90 for x in xs) / len(xs)
        assert min(xs) <= p50 <= p90 <= max(xs) and below >= 0.9 - 1 / len(xs)
