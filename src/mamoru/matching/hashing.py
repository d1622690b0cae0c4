"""Hashes of image files: PDQ (with quality) and MD5, SHA-1, SHA-256 of the bytes.

Hashing runs where the images are (an analyst's secure environment, a platform's own machines),
never on mamoru's servers, so this module is pure and needs only Pillow, NumPy and pdqhash.

Images are untrusted input. Before any pixel is decoded the file size and the header's width and
height are checked against `ImageLimits`, so a decompression bomb is refused from its header;
truncated, corrupt and unsupported files raise an `ImageRefused` subclass with a plain reason.
EXIF orientation is applied, and every Pillow mode is reduced to 8-bit RGB or grey the way the
reference implementation sees it (alpha is ignored, as the C++ reference does).
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from mamoru.errors import DomainError

Pixels = npt.NDArray[np.uint8]
"""Decoded pixels: H x W (grey) or H x W x C with C >= 3 (only the first three are used)."""

PDQ_HEX_DIGITS = 64
MIN_QUALITY = 50
"""Hashes with quality below this carry little information (the reference discards <= 49)."""

DIHEDRAL_NAMES = (
    "original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1",
)
"""Order of `pdq_dihedral`'s hashes, the order of the C++ reference (pdqhash keeps it)."""

_RGB_MODES = {"RGB", "RGBA", "RGBX"}
_CONVERT_TO_RGB = {"P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "RGBa"}
_DEEP_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}


class ImageRefused(DomainError):
    """A file that cannot be hashed; `reason` says why in words a user understands."""

    status = 422
    exit_code = 1

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class ImageUnreadable(ImageRefused):
    """Not an image, or a corrupt or truncated one."""


class ImageUnsupported(ImageRefused):
    """An image in a format or pixel mode that cannot be reduced to 8-bit pixels."""


class ImageTooLarge(ImageRefused):
    """Over the file-size, side or pixel-count limit (refused before decoding)."""


@dataclass(frozen=True)
class ImageLimits:
    """What a hasher agrees to decode. Checked on the header, before pixels are decoded."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_pixels: int = 178_956_970  # Pillow's own hard limit (2 x MAX_IMAGE_PIXELS)
    max_side: int = 65_535
    hash_pixels: int = 8_000_000
    """Larger images are reduced by an integer factor (JPEG: in the decoder) to about this size
    before PDQ, as the reference's file hasher reduces to 512 x 512; smaller ones are untouched."""


DEFAULT_LIMITS = ImageLimits()


@dataclass(frozen=True)
class PdqHash:
    hex: str
    quality: int


@dataclass(frozen=True)
class FileHashes:
    """Everything `mamoru hash` reports for one file; width and height are those of the image as
    hashed (upright, and box-reduced when it had more than ImageLimits.hash_pixels)."""

    pdq: str
    quality: int
    md5: str
    sha1: str
    sha256: str
    width: int
    height: int


def _reduction_factor(width: int, height: int, limits: ImageLimits) -> int:
    factor = 1
    while (width // factor) * (height // factor) > limits.hash_pixels:
        factor *= 2
    return factor


def open_image(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> Image.Image:
    """Decode `data` into an upright Pillow image, refusing bombs before decoding pixels."""
    if len(data) > limits.max_file_bytes:
        raise ImageTooLarge(f"file is {len(data)} bytes, over the limit of {limits.max_file_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"refused before decoding: {exc}") from None
    except UnidentifiedImageError:
        raise ImageUnreadable("not an image file (format not recognised)") from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError, struct.error) as exc:
        raise ImageUnreadable(f"corrupt image header: {exc}") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageUnreadable(f"image has no pixels ({width}x{height})")
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"{width}x{height} pixels is over the limit ({limits.max_pixels} pixels, "
            f"{limits.max_side} a side); refused before decoding")
    factor = _reduction_factor(width, height, limits)
    if factor > 1 and image.format == "JPEG":
        image.draft(image.mode, (width // factor, height // factor))
    # Pillow's LOAD_TRUNCATED_IMAGES is process-wide and other libraries (WeasyPrint) turn it on
    # when imported; a truncated file must be refused, never hashed with its missing part grey.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image.load()
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"refused: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ImageUnreadable(f"cannot decode image: {exc}") from None
    except (TypeError, IndexError, KeyError, struct.error) as exc:
        # Pillow's decoders raise these on crafted files (a TIFF with a float strip offset, found
        # by fuzzing): the file is corrupt, not our bug, and must be refused like any other.
        raise ImageUnreadable(f"corrupt image data ({type(exc).__name__}: {exc})") from None
    factor = _reduction_factor(image.width, image.height, limits)
    if factor > 1:
        image = _reduce(image, factor)
    return _upright(image)


def _reduce(image: Image.Image, factor: int) -> Image.Image:
    """Box-reduce by `factor`. Palette indices must not be averaged and Pillow cannot reduce
    bilevel or 16-bit images, so those are first converted as image_pixels would read them."""
    target = {"1": "L", "P": "RGB", "PA": "RGB"}.get(image.mode)
    if target is None and image.mode.startswith("I;16"):
        target = "I"
    try:
        if target is not None:
            image = image.convert(target)
        return image.reduce(factor)
    except (ValueError, OSError) as exc:
        raise ImageUnsupported(f"pixel mode {image.mode} cannot be reduced: {exc}") from None


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block must not stop hashing: keep the stored orientation
        return image


def _scale_deep(values: npt.NDArray[np.generic], mode: str) -> Pixels:
    """16-bit, 32-bit integer and float pixels to 0..255 (PDQ ignores scale and offset)."""
    a = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(a.min()), float(a.max())
    if mode.startswith("I;16") or (lo >= 0 and 255 < hi <= 65535 and mode == "I"):
        a = a / 257.0
    elif mode == "F" and lo >= 0 and hi <= 1.0:
        a = a * 255.0
    elif lo < 0 or hi > 255:
        a = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def image_pixels(image: Image.Image) -> Pixels:
    """Any Pillow mode as 8-bit grey (H x W) or colour (H x W x C, first three channels RGB)."""
    mode = image.mode
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "L":
            return np.asarray(image)
        if mode == "1":
            return np.asarray(image.convert("L"))
        if mode in ("LA", "La"):
            return np.ascontiguousarray(np.asarray(image)[:, :, 0])
        if mode in _RGB_MODES:
            return np.asarray(image)
        if mode in _DEEP_MODES:
            return _scale_deep(np.asarray(image), mode)
        try:
            return np.asarray(image.convert("RGB"))
        except (ValueError, OSError) as exc:
            raise ImageUnsupported(f"pixel mode {mode} cannot be converted: {exc}") from None


def _pdq_input(pixels: Pixels) -> Pixels:
    if pixels.ndim == 2:
        return np.broadcast_to(pixels[:, :, None], (*pixels.shape, 3))
    return pixels


def _hex(bits: npt.NDArray[np.generic]) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def pdq_hash(pixels: Pixels) -> PdqHash:
    """PDQ of decoded pixels: 64 hex digits and the quality (0-100)."""
    bits, quality = pdqhash.compute(_pdq_input(pixels))
    return PdqHash(_hex(bits), int(quality))


def pdq_dihedral(pixels: Pixels) -> tuple[list[str], int]:
    """The eight rotations and flips' PDQ hashes in `DIHEDRAL_NAMES` order, and the quality."""
    vectors, quality = pdqhash.compute_dihedral(_pdq_input(pixels))
    return [_hex(v) for v in vectors], int(quality)


def digests(data: bytes) -> tuple[str, str, str]:
    """MD5, SHA-1 and SHA-256 of the bytes, lower-case hex."""
    return (hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),
            hashlib.sha256(data).hexdigest())


def read_file(path: str | os.PathLike[str], limits: ImageLimits = DEFAULT_LIMITS) -> bytes:
    """The file's bytes, refusing before reading when it is over the size limit."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise ImageUnreadable("not a regular file")
        if size > limits.max_file_bytes:
            raise ImageTooLarge(f"file is {size} bytes, over the limit of {limits.max_file_bytes}")
        return p.read_bytes()
    except OSError as exc:
        raise ImageUnreadable(f"cannot read file: {exc.strerror or exc}") from None


def hash_bytes(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> FileHashes:
    image = open_image(data, limits)
    result = pdq_hash(image_pixels(image))
    md5, sha1, sha256 = digests(data)
    return FileHashes(result.hex, result.quality, md5, sha1, sha256, image.width, image.height)


def hash_file(path: str | os.PathLike[str], limits: ImageLimits = DEFAULT_LIMITS) -> FileHashes:
    return hash_bytes(read_file(path, limits), limits)


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def is_pdq_hex(text: str) -> bool:
    """Exactly 64 ASCII hex digits: no "0x", sign, underscore, space or non-ASCII digit (all of
    which `int(text, 16)` would take)."""
    return len(text) == PDQ_HEX_DIGITS and all(c in _HEX_DIGITS for c in text)


def hamming_distance(a: str, b: str) -> int:
    """Bits that differ between two 64-hex-digit PDQ hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
