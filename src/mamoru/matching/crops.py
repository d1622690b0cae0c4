"""Hash sets that survive borders and trims, which plain PDQ does not.

PDQ moves 80 to 150 bits when a copy gains a letterbox or loses a few percent at its edges, far
past the match threshold of 31. Because mamoru's hasher runs where the images are, it can fix
both ends:

- bank side (`bank_hashes`): the image, the image with uniform borders trimmed, and central crops
  of it (3% to 15% of each side in 3% steps), all stored as one bank item;
- query side (`query_hashes`): the image and, when it has uniform borders, the image with them
  trimmed; each in its eight rotations and flips when dihedral matching is asked for.

Pure: NumPy and the hashing module only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mamoru.matching.hashing import DIHEDRAL_NAMES, Pixels, pdq_dihedral, pdq_hash

BANK_CROP_FRACTIONS = (0.03, 0.06, 0.09, 0.12, 0.15)
"""Share of each side removed (half at each edge) by the bank's central crops."""
BORDER_TOLERANCE = 12
"""Grey levels a border pixel may differ from the border colour (JPEG noise)."""
BORDER_SHARE = 0.98
"""Share of a line's pixels that must be within tolerance for the line to count as border."""
MAX_TRIM = 0.35
"""At most this share of each side is trimmed from each edge."""


@dataclass(frozen=True)
class VariantHash:
    """One hash of a set: which variant of the image it is, the PDQ hash and its quality."""

    variant: str
    pdq: str
    quality: int


def _luma(pixels: Pixels) -> np.ndarray:
    if pixels.ndim == 2:
        return pixels.astype(np.int16)
    rgb = pixels[:, :, :3].astype(np.float32)
    return (rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).astype(np.int16)


def _border_lines(lines: np.ndarray, limit: int) -> int:
    """How many leading lines (rows of `lines`) are uniform in the colour of the first."""
    if limit < 1:
        return 0
    head = lines[:limit]
    reference = int(np.median(head[0]))
    share = np.mean(np.abs(head - reference) <= BORDER_TOLERANCE, axis=1)
    uniform = share >= BORDER_SHARE
    return int(limit if uniform.all() else np.argmin(uniform))


def border_box(pixels: Pixels) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the content inside uniform borders; the whole image if none."""
    luma = _luma(pixels)
    height, width = luma.shape
    row_limit, col_limit = int(height * MAX_TRIM), int(width * MAX_TRIM)
    top = _border_lines(luma, row_limit)
    bottom = height - _border_lines(luma[::-1], row_limit)
    inner = luma[top:bottom]
    left = _border_lines(inner.T, col_limit)
    right = width - _border_lines(inner.T[::-1], col_limit)
    return top, bottom, left, right


def trim_uniform_borders(pixels: Pixels) -> Pixels:
    """The image without uniform borders (letterbox, pillarbox, frames) of any single colour."""
    top, bottom, left, right = border_box(pixels)
    return pixels[top:bottom, left:right]


def central_crop(pixels: Pixels, fraction: float) -> Pixels:
    """Remove `fraction` of each side, half at each edge."""
    height, width = pixels.shape[:2]
    dy, dx = int(round(height * fraction / 2)), int(round(width * fraction / 2))
    return pixels[dy:height - dy, dx:width - dx]


def bank_hashes(pixels: Pixels) -> list[VariantHash]:
    """The set of hashes stored for one bank image: itself, trimmed, and its central crops."""
    first = pdq_hash(pixels)
    hashes = [VariantHash("original", first.hex, first.quality)]
    content = trim_uniform_borders(pixels)
    if content.shape != pixels.shape:
        trimmed = pdq_hash(content)
        hashes.append(VariantHash("trimmed", trimmed.hex, trimmed.quality))
    for fraction in BANK_CROP_FRACTIONS:
        cropped = pdq_hash(central_crop(content, fraction))
        hashes.append(VariantHash(f"crop{round(fraction * 100):02d}", cropped.hex,
                                  cropped.quality))
    return hashes


def query_hashes(pixels: Pixels, *, trim: bool = True, dihedral: bool = True) -> list[VariantHash]:
    """The hashes to look up for one query image (the matcher takes the best of them)."""
    variants: list[tuple[str, Pixels]] = [("original", pixels)]
    if trim:
        content = trim_uniform_borders(pixels)
        if content.shape != pixels.shape:
            variants.append(("trimmed", content))
    hashes: list[VariantHash] = []
    for name, image in variants:
        if dihedral:
            hexes, quality = pdq_dihedral(image)
            hashes.extend(VariantHash(f"{name}/{turn}", h, quality)
                          for turn, h in zip(DIHEDRAL_NAMES, hexes, strict=True))
        else:
            single = pdq_hash(image)
            hashes.append(VariantHash(name, single.hex, single.quality))
    return hashes
