"""Border trimming and hash sets: what lets mamoru match letterboxed, cropped and flipped copies."""

from __future__ import annotations

import io

import numpy as np
import pytest
from bench.photos import generated_photo
from PIL import Image

from mamoru.matching.crops import (
    BANK_CROP_FRACTIONS,
    bank_hashes,
    border_box,
    central_crop,
    query_hashes,
    trim_uniform_borders,
)
from mamoru.matching.hashing import hamming_distance, hash_bytes, pdq_hash
from mamoru.matching.index import MATCH_DISTANCE

PHOTO = generated_photo(11)


def _framed(pixels: np.ndarray, top: int, bottom: int, left: int, right: int,
            colour: tuple[int, int, int]) -> np.ndarray:
    h, w = pixels.shape[:2]
    out = np.empty((h + top + bottom, w + left + right, 3), dtype=np.uint8)
    out[:] = colour
    out[top:top + h, left:left + w] = pixels
    return out


def _via_jpeg(pixels: np.ndarray, quality: int = 85) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (30, 90, 160)])
def test_letterbox_and_pillarbox_are_trimmed_exactly(colour: tuple[int, int, int]) -> None:
    framed = _framed(PHOTO, 24, 24, 0, 0, colour)
    assert border_box(framed) == (24, 504, 0, 640)
    pillar = _framed(PHOTO, 0, 0, 40, 31, colour)
    assert trim_uniform_borders(pillar).shape == PHOTO.shape


def test_trimming_survives_jpeg_noise_and_restores_the_hash() -> None:
    framed = _via_jpeg(_framed(PHOTO, 30, 30, 0, 0, (0, 0, 0)))
    top, bottom, left, right = border_box(framed)
    assert 28 <= top <= 31 and 509 <= bottom <= 512 and (left, right) == (0, 640)
    original = pdq_hash(PHOTO).hex
    assert hamming_distance(pdq_hash(framed).hex, original) > MATCH_DISTANCE
    assert hamming_distance(pdq_hash(trim_uniform_borders(framed)).hex, original) <= 16


def test_a_photo_without_borders_is_left_alone() -> None:
    assert trim_uniform_borders(PHOTO).shape == PHOTO.shape


def test_a_blank_image_is_never_trimmed_to_nothing() -> None:
    blank = np.full((100, 200, 3), 128, dtype=np.uint8)
    trimmed = trim_uniform_borders(blank)
    assert trimmed.shape[0] >= 30 and trimmed.shape[1] >= 60


def test_central_crop_removes_the_share_evenly() -> None:
    assert central_crop(PHOTO, 0.10).shape[:2] == (432, 576)


def test_bank_set_names_each_variant() -> None:
    names = [h.variant for h in bank_hashes(PHOTO)]
    assert names == ["original"] + [f"crop{round(f * 100):02d}" for f in BANK_CROP_FRACTIONS]
    framed = [h.variant for h in bank_hashes(_framed(PHOTO, 20, 20, 0, 0, (0, 0, 0)))]
    assert framed[:2] == ["original", "trimmed"]


def test_query_set_has_eight_turns_per_variant() -> None:
    plain = query_hashes(PHOTO)
    assert len(plain) == 8 and plain[0].variant == "original/original"
    framed = query_hashes(_framed(PHOTO, 20, 20, 0, 0, (0, 0, 0)))
    assert len(framed) == 16 and framed[8].variant == "trimmed/original"
    assert len(query_hashes(PHOTO, dihedral=False, trim=False)) == 1


def _best(query: np.ndarray, bank: np.ndarray) -> tuple[int, int]:
    """(plain PDQ distance, mamoru's best distance between the two hash sets)."""
    plain = hamming_distance(pdq_hash(query).hex, pdq_hash(bank).hex)
    ours = min(hamming_distance(q.pdq, b.pdq)
               for q in query_hashes(query) for b in bank_hashes(bank))
    return plain, ours


SMOKE = [generated_photo(seed) for seed in (21, 22, 23)]


@pytest.mark.parametrize("name", ["letterbox", "crop 5%", "crop 10%", "mirror", "rotate"])
def test_smoke_robustness_mamoru_matches_where_plain_pdq_does_not(name: str) -> None:
    for photo in SMOKE:
        copy = {
            "letterbox": lambda p: _framed(p, 26, 26, 0, 0, (0, 0, 0)),
            "crop 5%": lambda p: central_crop(p, 0.05),
            "crop 10%": lambda p: central_crop(p, 0.10),
            "mirror": lambda p: np.ascontiguousarray(p[:, ::-1]),
            "rotate": lambda p: np.ascontiguousarray(np.rot90(p)),
        }[name](photo)
        plain, ours = _best(_via_jpeg(copy), photo)
        assert plain > MATCH_DISTANCE and ours <= MATCH_DISTANCE


def test_smoke_distinct_images_do_not_match_even_with_hash_sets() -> None:
    photos = [generated_photo(seed) for seed in range(40, 46)]
    banks = [bank_hashes(p) for p in photos]
    queries = [query_hashes(p) for p in photos]
    for i, query in enumerate(queries):
        for j, bank in enumerate(banks):
            if i != j:
                assert min(hamming_distance(q.pdq, b.pdq) for q in query for b in bank) > 31


def test_hash_bytes_is_what_the_cli_reports_for_the_plain_image() -> None:
    buffer = io.BytesIO()
    Image.fromarray(PHOTO).save(buffer, "PNG")
    assert hash_bytes(buffer.getvalue()).pdq == pdq_hash(PHOTO).hex
