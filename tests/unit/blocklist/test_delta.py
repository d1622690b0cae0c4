"""Deltas: from a random list to another and back to exactly the new list."""

from __future__ import annotations

import random

import pytest

from mamoru.blocklist.compiler import ListedEntry
from mamoru.blocklist.delta import Delta, apply_delta, make_delta


def test_delta_round_trip_on_random_changes() -> None:
    rng = random.Random(1)
    current = [ListedEntry(i, "host", f"h{i}.example.com", "csam") for i in range(1, 500)]
    version = 1
    for step in range(20):
        new = [e for e in current if rng.random() > 0.05]
        new = [ListedEntry(e.id, e.kind, e.value, "other") if rng.random() < 0.02 else e for e in new]
        new += [ListedEntry(1000 + step * 50 + k, "domain", f"d{step}-{k}.example.jp") for k in range(rng.randint(0, 9))]
        d = Delta.from_bytes(make_delta(current, new, version, version + 1).to_bytes())
        version, current = apply_delta(current, version, d)
        assert current == sorted(new, key=lambda e: e.id)
        assert version == step + 2


def test_delta_from_another_version_is_refused() -> None:
    d = make_delta([], [ListedEntry(1, "host", "a.example.com")], 3, 4)
    with pytest.raises(ValueError, match="version 3"):
        apply_delta([], 2, d)
