"""Conformance with the PDQ reference data in tests/data/conformance/pdq (see its README)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.conftest import DATA

from mamoru.matching.hashing import (
    DIHEDRAL_NAMES,
    hamming_distance,
    hash_file,
    image_pixels,
    open_image,
    pdq_dihedral,
)
from mamoru.matching.index import MATCH_DISTANCE

PDQ = DATA / "conformance" / "pdq"
REFERENCE = list(csv.DictReader((PDQ / "reference-hashes.csv").open()))
DIH = sorted((PDQ / "images" / "dih").glob("*.jpg"))
BRIDGE_MODS = sorted((PDQ / "images" / "bridge-mods").glob("*.jpg"))


def test_the_reference_data_is_there() -> None:
    assert len(REFERENCE) >= 16 and len(DIH) == 8 and len(BRIDGE_MODS) >= 10


def test_hash_is_within_10_of_the_cpp_reference_when_quality_is_80_or_more() -> None:
    """The reference's criterion covers images of quality 80 or more; each is checked, none skipped."""
    far = []
    for row in REFERENCE:
        ours = hash_file(PDQ / row["image"])
        if ours.quality >= 80 and hamming_distance(ours.pdq, row["pdq_hex"]) > 10:
            far.append((row["image"], hamming_distance(ours.pdq, row["pdq_hex"])))
    assert far == []


def test_most_reference_images_are_covered_by_the_quality_criterion() -> None:
    covered = [r for r in REFERENCE if hash_file(PDQ / r["image"]).quality >= 80]
    assert len(covered) >= 12


def _dihedral_of_original() -> list[str]:
    original = PDQ / "images" / "dih" / "bridge-1-original.jpg"
    hexes, quality = pdq_dihedral(image_pixels(open_image(original.read_bytes())))
    assert quality >= 80
    return hexes


@pytest.mark.parametrize("path", DIH, ids=[p.name for p in DIH])
def test_dihedral_hashes_of_the_original_reach_each_rotated_or_flipped_copy(path: Path) -> None:
    hexes = _dihedral_of_original()
    copy = hash_file(path).pdq
    position = int(path.name.split("-")[1]) - 1  # bridge-N-<transform>.jpg, in reference order
    assert min(hamming_distance(h, copy) for h in hexes) <= MATCH_DISTANCE
    assert hamming_distance(hexes[position], copy) <= 10, DIHEDRAL_NAMES[position]


@pytest.mark.parametrize("path", BRIDGE_MODS, ids=[p.name for p in BRIDGE_MODS])
def test_every_bridge_modification_matches_the_original(path: Path) -> None:
    original = hash_file(PDQ / "images" / "bridge-mods" / "aaa-orig.jpg").pdq
    assert hamming_distance(hash_file(path).pdq, original) <= MATCH_DISTANCE
