"""Snapshot files, exact digest sets, and the matcher's overlay of changes since the snapshot."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from mamoru.matching import synthetic
from mamoru.matching.exact import ExactSet, digest_bytes
from mamoru.matching.fastindex import Layout, MultiIndex
from mamoru.matching.index import BruteForceIndex, same_hits
from mamoru.matching.matcher import Match, Matcher, Overlay
from mamoru.matching.snapshot import (
    HEADER_BYTES,
    Snapshot,
    SnapshotData,
    SnapshotError,
    open_snapshot,
    write_snapshot,
)


def md5s(n: int) -> list[bytes]:
    return [hashlib.md5(str(i).encode()).digest() for i in range(n)]


@pytest.fixture()
def bank_data() -> SnapshotData:
    rng = np.random.default_rng(21)
    hashes = synthetic.clustered(5_000, rng, per_cluster=10)
    digests = np.frombuffer(b"".join(md5s(50)), np.uint8).reshape(50, 16)
    exact = {"md5": ExactSet.build("md5", digests, np.arange(10_000, 10_050),
                                   np.full(50, 2, np.int32))}
    return SnapshotData(7, hashes, np.arange(1, 5_001, dtype=np.int64),
                        (np.arange(5_000) % 2 + 1).astype(np.int32), exact, {"banks": [1, 2]})


def test_snapshot_round_trip_gives_identical_answers(tmp_path: Path, bank_data: SnapshotData) -> None:
    path = write_snapshot(tmp_path / "index.snap", bank_data)
    snap = open_snapshot(path, warm=True)
    assert snap.version == 7 and snap.meta == {"banks": [1, 2]}
    assert snap.index.size == 5_000
    oracle = BruteForceIndex(bank_data.pdq_hashes)
    rng = np.random.default_rng(22)
    queries, _, _ = synthetic.planted(bank_data.pdq_hashes, rng, [0, 12, 31, 33], per_distance=5)
    for q in queries:
        assert same_hits(snap.index.query(q, 31), oracle.query(q, 31))
    assert np.array_equal(snap.pdq_entry_ids, bank_data.pdq_entry_ids)


def _assert_answers_like_brute_force(snap: Snapshot, data: SnapshotData) -> None:
    oracle = BruteForceIndex(data.pdq_hashes)
    rng = np.random.default_rng(23)
    queries, _, _ = synthetic.planted(data.pdq_hashes, rng, [0, 12, 31, 33], per_distance=5)
    for q in queries:
        for d in (12, 31):
            assert same_hits(snap.index.query(q, d), oracle.query(q, d))


def test_bitmaps_travel_in_the_snapshot(tmp_path: Path, bank_data: SnapshotData) -> None:
    lay = Layout(5_000, 12, (16,) * 16, bitmap=True)
    index = MultiIndex.build(bank_data.pdq_hashes, lay)
    snap = open_snapshot(write_snapshot(tmp_path / "index.snap", bank_data, index))
    assert snap.index.layout == lay
    assert np.array_equal(snap.index.bitmaps, index.bitmaps) and index.bitmaps.any()
    _assert_answers_like_brute_force(snap, bank_data)


def test_snapshot_without_bitmaps_still_opens(tmp_path: Path, bank_data: SnapshotData) -> None:
    """A snapshot written before bitmaps existed has neither the flag nor the array: the layout
    is read as without bitmaps, and a bitmap layout missing its array gets it rebuilt."""
    for bitmap in (False, True):
        index = MultiIndex.build(bank_data.pdq_hashes, Layout(5_000, 12, (16,) * 16, bitmap))
        path = write_snapshot(tmp_path / f"old-{bitmap}.snap", bank_data, index)
        raw = bytearray(path.read_bytes())
        fmt, length = struct.unpack("<II", raw[8:16])
        header = json.loads(raw[16:16 + length])
        del header["arrays"]["bitmaps"]
        if not bitmap:
            del header["layout"]["bitmap"]
        blob = json.dumps(header).encode()
        raw[8:HEADER_BYTES] = struct.pack("<II", fmt, len(blob)) + blob.ljust(HEADER_BYTES - 16, b"\0")
        path.write_bytes(bytes(raw))
        snap = open_snapshot(path)
        assert snap.index.layout.bitmap is bitmap
        assert np.array_equal(snap.index.bitmaps, index.bitmaps)
        _assert_answers_like_brute_force(snap, bank_data)


def test_not_a_snapshot_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.snap"
    bad.write_bytes(b"not an index" * 400)
    with pytest.raises(SnapshotError):
        open_snapshot(bad)


def test_writing_replaces_atomically_and_leaves_no_temporary(tmp_path: Path, bank_data: SnapshotData) -> None:
    path = tmp_path / "index.snap"
    write_snapshot(path, bank_data)
    old = open_snapshot(path)
    write_snapshot(path, SnapshotData(8, bank_data.pdq_hashes[:10], bank_data.pdq_entry_ids[:10],
                                      bank_data.pdq_bank_ids[:10]))
    assert open_snapshot(path).version == 8
    assert old.version == 7 and old.index.size == 5_000  # the open mapping still reads the old file
    assert [p.name for p in tmp_path.iterdir()] == ["index.snap"]


def test_exact_sets_find_each_digest_and_nothing_else() -> None:
    digests = md5s(200) + [hashlib.md5(b"0").digest()]  # one digest in two entries
    arr = np.frombuffer(b"".join(digests), np.uint8).reshape(-1, 16)
    s = ExactSet.build("md5", arr, np.arange(len(digests)), np.zeros(len(digests), np.int32))
    for i, d in enumerate(digests[:200]):
        assert i in s.entry_ids[s.lookup(d)].tolist()
    assert sorted(s.entry_ids[s.lookup(digests[0])].tolist()) == [0, 200]
    assert len(s.lookup(hashlib.md5(b"absent").digest())) == 0
    assert len(s.lookup(b"short")) == 0
    with pytest.raises(ValueError):
        digest_bytes("sha1", ["00" * 16])


def test_matcher_overlay_adds_disables_and_says_who_answered(tmp_path: Path, bank_data: SnapshotData) -> None:
    matcher = Matcher(open_snapshot(write_snapshot(tmp_path / "i.snap", bank_data)))
    target = bank_data.pdq_hashes[100]
    before, by = matcher.match_pdq(target[None, :], 0)
    assert Match(0, 101, 1) in before[0] and by.snapshot_version == 7 and by.overlay_version == 7
    fresh = synthetic.uniform(1, np.random.default_rng(23))
    new_md5 = hashlib.md5(b"new").digest()
    matcher.swap(overlay=Overlay(9, fresh, np.array([9_001]), np.array([3], np.int32),
                                 {"md5": {new_md5: [(9_002, 3)]}}, frozenset({101, 10_000})))
    after, by = matcher.match_pdq(np.stack([target, fresh[0]]), 0)
    assert all(m.entry_id != 101 for m in after[0])
    assert after[1] == [Match(0, 9_001, 3)]
    assert (by.snapshot_version, by.overlay_version, by.overlay_added, by.overlay_disabled) == (7, 9, 2, 2)
    exact, _ = matcher.match_exact("md5", [md5s(1)[0], new_md5, md5s(2)[1]])
    assert exact == [[], [Match(0, 9_002, 3)], [Match(0, 10_001, 2)]]


def test_matcher_filters_banks(tmp_path: Path, bank_data: SnapshotData) -> None:
    matcher = Matcher(open_snapshot(write_snapshot(tmp_path / "i.snap", bank_data)))
    q = bank_data.pdq_hashes[:20]
    only_two, _ = matcher.match_pdq(q, 31, banks={2})
    every, _ = matcher.match_pdq(q, 31)
    assert all(m.bank_id == 2 for ms in only_two for m in ms)
    assert sum(map(len, only_two)) < sum(map(len, every))
    assert [m for ms in every for m in ms if m.bank_id == 2] == [m for ms in only_two for m in ms]


def test_hot_reload_swaps_snapshot_and_resets_overlay(tmp_path: Path, bank_data: SnapshotData) -> None:
    matcher = Matcher(open_snapshot(write_snapshot(tmp_path / "a.snap", bank_data)))
    matcher.swap(overlay=Overlay(8, disabled=frozenset({1})))
    newer = SnapshotData(8, bank_data.pdq_hashes[1:], bank_data.pdq_entry_ids[1:],
                         bank_data.pdq_bank_ids[1:])
    matcher.swap(snapshot=open_snapshot(write_snapshot(tmp_path / "b.snap", newer)))
    by = matcher.answered_by()
    assert (by.snapshot_version, by.overlay_version, by.overlay_disabled) == (8, 8, 0)
