"""Benign test photographs for the hashing benchmarks: generated scenes and scikit-image samples.

Generated scenes are smooth backgrounds with random shapes and grain, so that PDQ sees structure at
every scale as it does in a photograph. scikit-image (a bench extra) supplies real photos; its
duplicates (`cat` is `chelsea`) and non-photos (3-D stacks, stereo pairs, masks) are left out.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SKIMAGE_PHOTOS = (
    "astronaut", "brick", "camera", "chelsea", "cell", "clock", "coffee", "coins", "colorwheel",
    "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "logo", "moon", "page",
    "retina", "rocket", "text",
)


def generated_photo(seed: int, width: int = 640, height: int = 480) -> np.ndarray:
    """A reproducible, photo-like RGB scene (H x W x 3 uint8)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize((width, height), Image.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(6, 16))):
        x0, x1 = sorted(rng.integers(-width // 4, width + width // 4, size=2).tolist())
        y0, y1 = sorted(rng.integers(-height // 4, height + height // 4, size=2).tolist())
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse((x0, y0, x1 + 8, y1 + 8), fill=colour)
        elif shape == 1:
            draw.rectangle((x0, y0, x1 + 8, y1 + 8), fill=colour)
        else:
            points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(5)]
            draw.polygon(points, fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 3.0))))
    grain = rng.normal(0.0, 6.0, size=(height, width, 1))
    return np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8)


def skimage_photos() -> dict[str, np.ndarray]:
    """scikit-image's distinct sample photos as uint8 (grey or RGB)."""
    from skimage import data

    photos: dict[str, np.ndarray] = {}
    for name in SKIMAGE_PHOTOS:
        array = np.asarray(getattr(data, name)())
        if array.ndim == 3:
            array = np.ascontiguousarray(array[:, :, :3])
        photos[name] = array.astype(np.uint8)
    return photos
