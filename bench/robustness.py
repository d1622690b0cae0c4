"""Match rate of plain PDQ and of mamoru's hash sets on transformed benign images, and the
false-match rate between distinct images with its 95% upper bound.

Plain PDQ: one hash of the bank image, one of the query, match at distance <= 31.
mamoru: the bank image's hash set (`crops.bank_hashes`: image, trimmed, central crops 3-15%)
against the query's (`crops.query_hashes`: image and border-trimmed image, eight rotations and
flips each); a match is any pair within 31.

Every transformed copy goes through a JPEG file (quality 90 unless the transform sets its own) and
mamoru's decoder, as a real upload would. Images whose own quality is below 50 are left out, as
the reference recommends. Run: .venv/bin/python bench/robustness.py [--generated N]
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.photos import generated_photo, skimage_photos  # noqa: E402

from mamoru.matching.crops import bank_hashes, query_hashes  # noqa: E402
from mamoru.matching.hashing import (  # noqa: E402
    MATCH_DISTANCE,
    MIN_QUALITY,
    image_pixels,
    open_image,
    pdq_hash,
)

Transform = Callable[[Image.Image], tuple[Image.Image, int]]


def _crop(share: float, central: bool = True) -> Transform:
    def apply(im: Image.Image) -> tuple[Image.Image, int]:
        w, h = im.size
        dx, dy = round(w * share), round(h * share)
        box = (dx // 2, dy // 2, w - (dx - dx // 2), h - (dy - dy // 2)) if central \
            else (dx, dy, w, h)
        return im.crop(box), 90
    return apply


def _letterbox(share: float, colour: tuple[int, int, int] = (0, 0, 0)) -> Transform:
    def apply(im: Image.Image) -> tuple[Image.Image, int]:
        w, h = im.size
        pad = round(h * share / 2)
        out = Image.new("RGB", (w, h + 2 * pad), colour)
        out.paste(im, (0, pad))
        return out, 90
    return apply


def _watermark(im: Image.Image) -> tuple[Image.Image, int]:
    base = im.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = base.size
    draw.rectangle((int(w * 0.55), int(h * 0.85), int(w * 0.97), int(h * 0.96)),
                   fill=(255, 255, 255, 110))
    draw.text((int(w * 0.57), int(h * 0.87)), "(c) example.jp 2024", fill=(0, 0, 0, 200))
    return Image.alpha_composite(base, layer).convert("RGB"), 90


TRANSFORMS: dict[str, Transform] = {
    "jpeg q90 (re-encode)": lambda im: (im, 90),
    "resize 50%": lambda im: (im.resize((im.width // 2, im.height // 2), Image.LANCZOS), 90),
    "resize 150%": lambda im: (im.resize((im.width * 3 // 2, im.height * 3 // 2),
                                          Image.BICUBIC), 90),
    "jpeg q30": lambda im: (im, 30),
    "watermark": _watermark,
    "crop 5% central": _crop(0.05),
    "crop 10% central": _crop(0.10),
    "crop 7% central": _crop(0.07),
    "crop 5% one corner": _crop(0.05, central=False),
    "letterbox 10% black": _letterbox(0.10),
    "letterbox 10% white": _letterbox(0.10, (255, 255, 255)),
    "flip horizontal": lambda im: (im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 90),
    "rotate 90": lambda im: (im.transpose(Image.Transpose.ROTATE_90), 90),
    "letterbox 10% + flip": lambda im: _letterbox(0.10)(
        im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
}


def through_jpeg(im: Image.Image, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    im.convert("RGB").save(buffer, "JPEG", quality=quality)
    return image_pixels(open_image(buffer.getvalue()))


def _bits(hexes: list[str]) -> np.ndarray:
    return np.array([np.frombuffer(bytes.fromhex(h), dtype=">u8") for h in hexes],
                    dtype=np.uint64).reshape(len(hexes), 4)


def _min_distance(queries: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Minimum distance from each query row to any bank row (rows are 4 x uint64)."""
    out = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), 512):
        q = queries[start:start + 512]
        d = np.bitwise_count(q[:, None, :] ^ bank[None, :, :]).sum(axis=2)
        out[start:start + 512] = d.min(axis=1)
    return out


def load_images(generated: int) -> dict[str, np.ndarray]:
    images = {f"skimage:{k}": v for k, v in skimage_photos().items()}
    images.update({f"generated:{s}": generated_photo(s) for s in range(generated)})
    return {k: v for k, v in images.items() if pdq_hash(v).quality >= MIN_QUALITY}


def evaluate(images: dict[str, np.ndarray]) -> dict[str, object]:
    names = list(images)
    bank_sets = [bank_hashes(images[n]) for n in names]
    bank_rows = _bits([h.pdq for s in bank_sets for h in s])
    bank_owner = np.array([i for i, s in enumerate(bank_sets) for _ in s])
    plain_bank = _bits([s[0].pdq for s in bank_sets])
    rates: dict[str, tuple[int, int, int]] = {}
    n = len(names)
    false_plain = np.zeros((n, n), dtype=bool)  # [query image, bank image]: any copy matched
    false_mamoru = np.zeros((n, n), dtype=bool)
    comparisons = 0
    for label, transform in TRANSFORMS.items():
        plain_hits = mamoru_hits = 0
        for i, name in enumerate(names):
            copy, quality = transform(Image.fromarray(images[name]).convert("RGB"))
            pixels = through_jpeg(copy, quality)
            plain = _bits([pdq_hash(pixels).hex])
            query = _bits([h.pdq for h in query_hashes(pixels)])
            plain_d = np.bitwise_count(plain ^ plain_bank).sum(axis=1)
            per_bank = np.bitwise_count(query[:, None, :] ^ bank_rows[None]).sum(axis=2).min(0)
            mamoru_d = np.full(len(names), 256)
            np.minimum.at(mamoru_d, bank_owner, per_bank)
            plain_hits += int(plain_d[i] <= MATCH_DISTANCE)
            mamoru_hits += int(mamoru_d[i] <= MATCH_DISTANCE)
            false_plain[i] |= plain_d <= MATCH_DISTANCE
            false_mamoru[i] |= mamoru_d <= MATCH_DISTANCE
            comparisons += (n - 1) * len(query) * len(bank_rows) // n
        rates[label] = (plain_hits, mamoru_hits, n)
    off_diagonal = ~np.eye(n, dtype=bool)
    return {"rates": rates, "pairs": n * (n - 1), "copies": len(TRANSFORMS),
            "false_plain": int((false_plain & off_diagonal).sum()),
            "false_mamoru": int((false_mamoru & off_diagonal).sum()),
            "comparisons": comparisons}


def upper_bound_95(failures: int, trials: int) -> float:
    """One-sided 95% Clopper-Pearson upper bound on a rate (3/n, the rule of three, at 0)."""
    if failures >= trials:
        return 1.0
    lo, hi = failures / trials, 1.0
    for _ in range(100):  # bisection on the binomial tail P(X <= failures; p) = 0.05
        mid = (lo + hi) / 2
        if _binomial_cdf(failures, trials, mid) > 0.05:
            lo = mid
        else:
            hi = mid
    return hi


def _binomial_cdf(k: int, n: int, p: float) -> float:
    from math import comb
    return sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=130, help="generated photos to add")
    args = parser.parse_args()
    import pdqhash
    import PIL
    started = time.perf_counter()
    images = load_images(args.generated)
    result = evaluate(images)
    print(f"command: .venv/bin/python bench/robustness.py --generated {args.generated}")
    print(f"python {platform.python_version()}, pdqhash {pdqhash.__version__}, "
          f"Pillow {PIL.__version__}, NumPy {np.__version__}; match at distance <= "
          f"{MATCH_DISTANCE}; {len(images)} images with quality >= {MIN_QUALITY}")
    print(f"\n{'transform':<24} {'plain PDQ':>10} {'mamoru':>10}")
    rates = result["rates"]
    assert isinstance(rates, dict)
    for label, (plain, ours, total) in rates.items():
        print(f"{label:<24} {plain / total:>9.1%} {ours / total:>10.1%}")
    pairs = int(result["pairs"])  # type: ignore[call-overload]
    print(f"\n(mamoru compared about {result['comparisons']:,} hash pairs between distinct "
          "images: each query copy's hashes against each other image's bank set)")
    for label, key in (("plain PDQ", "false_plain"), ("mamoru", "false_mamoru")):
        k = int(result[key])  # type: ignore[call-overload]
        print(f"false matches, {label}: {k} of {pairs} ordered distinct-image pairs "
              f"(query image, bank image), counting a pair once if any of its "
              f"{result['copies']} transformed copies matched; rate {k / pairs:.2e}, "
              f"95% upper bound {upper_bound_95(k, pairs):.2e}")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
