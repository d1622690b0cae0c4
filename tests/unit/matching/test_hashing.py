"""The hasher: every Pillow mode, EXIF orientation, hex form, and refusal of unsafe or bad files."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from bench.photos import generated_photo
from PIL import Image

from mamoru.matching.hashing import (
    ImageLimits,
    ImageRefused,
    ImageTooLarge,
    ImageUnreadable,
    hamming_distance,
    hash_bytes,
    hash_file,
    image_pixels,
    is_pdq_hex,
    open_image,
    pdq_dihedral,
    pdq_hash,
)

PHOTO = Image.fromarray(generated_photo(3))
GREY = PHOTO.convert("L")
PHOTO_HASH = pdq_hash(np.asarray(PHOTO)).hex
GREY_HASH = pdq_hash(np.asarray(GREY)).hex


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _deep(mode: str) -> Image.Image:
    level = np.asarray(GREY).astype(np.float64)
    if mode in ("I;16", "I;16B"):
        raw = (level * 257).astype("<u2" if mode == "I;16" else ">u2").tobytes()
        return Image.frombytes(mode, GREY.size, raw)
    if mode == "I":
        return Image.fromarray((level * 257).astype(np.int32))
    return Image.fromarray((level / 255).astype(np.float32))  # "F", values 0..1


COLOUR_MODES = ["RGB", "RGBA", "RGBX", "RGBa", "P", "CMYK", "YCbCr", "LAB", "HSV"]
GREY_MODES = ["L", "LA", "La", "1"]
DEEP_MODES = ["I;16", "I;16B", "I", "F"]


@pytest.mark.parametrize("mode", COLOUR_MODES)
def test_colour_modes_hash_like_the_rgb_image(mode: str) -> None:
    image = PHOTO.convert(mode)
    assert image.mode == mode
    assert hamming_distance(pdq_hash(image_pixels(image)).hex, PHOTO_HASH) <= 8


@pytest.mark.parametrize("mode", GREY_MODES + DEEP_MODES)
def test_grey_and_deep_modes_hash_like_the_8_bit_grey_image(mode: str) -> None:
    image = _deep(mode) if mode in DEEP_MODES else (PHOTO if mode == "La" else GREY).convert(mode)
    assert image.mode == mode
    result = pdq_hash(image_pixels(image))
    assert result.quality >= 80
    assert hamming_distance(result.hex, GREY_HASH) <= (6 if mode == "1" else 2)


def test_palette_with_alpha_hashes_the_colours() -> None:
    image = PHOTO.convert("RGBA").convert("PA")
    assert hamming_distance(pdq_hash(image_pixels(image)).hex, PHOTO_HASH) <= 16


@pytest.mark.parametrize(("mode", "fmt"), [
    ("RGB", "JPEG"), ("L", "JPEG"), ("CMYK", "JPEG"), ("P", "PNG"), ("RGBA", "PNG"),
    ("LA", "PNG"), ("1", "PNG"), ("I;16", "PNG"), ("I", "TIFF"), ("F", "TIFF"),
    ("RGB", "WEBP"), ("P", "GIF"), ("RGB", "BMP"),
])
def test_files_in_each_format_and_mode_hash_from_bytes(mode: str, fmt: str) -> None:
    image = _deep(mode) if mode in DEEP_MODES else (
        GREY.convert(mode) if mode in GREY_MODES else PHOTO.convert(mode))
    data = _encoded(image, fmt)
    result = hash_bytes(data)
    reference = GREY_HASH if mode in GREY_MODES + DEEP_MODES else PHOTO_HASH
    assert hamming_distance(result.pdq, reference) <= 16
    assert (result.width, result.height) == PHOTO.size


def test_exif_orientation_is_applied_before_hashing() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned left; displayed after rotating 90 degrees clockwise
    stored = PHOTO.transpose(Image.Transpose.ROTATE_90)
    data = _encoded(stored, "JPEG", quality=95, exif=exif.tobytes())
    result = hash_bytes(data)
    assert (result.width, result.height) == PHOTO.size
    assert hamming_distance(result.pdq, PHOTO_HASH) <= 10
    plain = pdq_hash(np.asarray(stored)).hex
    assert hamming_distance(result.pdq, plain) > 31


def test_hex_form_is_64_lower_case_digits_in_the_reference_bit_order() -> None:
    import pdqhash  # type: ignore[import-untyped]

    bits, _ = pdqhash.compute(np.asarray(PHOTO))
    as_threatexchange_writes_it = f"{int(''.join(str(b) for b in bits), 2):064x}"
    assert PHOTO_HASH == as_threatexchange_writes_it
    assert is_pdq_hex(PHOTO_HASH) and PHOTO_HASH == PHOTO_HASH.lower()
    assert not is_pdq_hex(PHOTO_HASH[:-1]) and not is_pdq_hex("g" * 64)


def test_file_digests_are_those_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    data = _encoded(PHOTO, "PNG")
    (tmp_path / "a.png").write_bytes(data)
    result = hash_file(tmp_path / "a.png")
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert result.sha1 == hashlib.sha1(data).hexdigest()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.pdq == PHOTO_HASH


def test_dihedral_hashes_include_the_image_and_reach_its_mirror() -> None:
    hexes, quality = pdq_dihedral(np.asarray(PHOTO))
    assert len(hexes) == 8 and quality >= 80 and hexes[0] == PHOTO_HASH
    mirrored = pdq_hash(np.asarray(PHOTO.transpose(Image.Transpose.FLIP_LEFT_RIGHT))).hex
    assert min(hamming_distance(h, mirrored) for h in hexes) <= 10


def test_a_one_pixel_image_hashes_with_no_quality() -> None:
    result = hash_bytes(_encoded(Image.new("RGB", (1, 1), (9, 9, 9)), "PNG"))
    assert is_pdq_hex(result.pdq) and result.quality < 50


def _png_claiming(width: int, height: int) -> bytes:
    """A real small PNG whose header claims another size (CRC fixed): a decompression bomb."""
    data = bytearray(_encoded(Image.new("L", (8, 8)), "PNG"))
    ihdr = 8 + 8  # signature, then length and type of the IHDR chunk
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4:ihdr + 13]))
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


@pytest.mark.parametrize("size", [(60_000, 60_000), (100_000, 10), (20_000, 20_000)])
def test_decompression_bombs_are_refused_from_the_header(size: tuple[int, int]) -> None:
    with pytest.raises(ImageTooLarge, match="refused before decoding"):
        open_image(_png_claiming(*size), ImageLimits(max_pixels=100_000_000))


def test_limits_are_configurable() -> None:
    data = _encoded(PHOTO, "PNG")
    with pytest.raises(ImageTooLarge, match="over the limit"):
        hash_bytes(data, ImageLimits(max_pixels=640 * 480 - 1))
    with pytest.raises(ImageTooLarge, match="bytes"):
        hash_bytes(data, ImageLimits(max_file_bytes=len(data) - 1))


def test_large_images_are_reduced_before_hashing_and_hash_nearly_the_same() -> None:
    data = _encoded(PHOTO, "JPEG", quality=95)
    small = open_image(data, ImageLimits(hash_pixels=100_000))
    assert small.size == (320, 240)  # JPEG: reduced in the decoder, by 2
    png = open_image(_encoded(PHOTO, "PNG"), ImageLimits(hash_pixels=50_000))
    assert png.size == (160, 120)  # other formats: reduced after decoding, by 4
    reduced = pdq_hash(image_pixels(small)).hex
    assert hamming_distance(reduced, hash_bytes(data).pdq) <= 20


@pytest.mark.parametrize("mode", ["P", "1", "I;16"])
def test_large_images_in_modes_pillow_cannot_reduce_are_reduced_as_they_are_read(mode: str) -> None:
    # Found by fuzzing: a large palette GIF reached Image.reduce, which refuses "P", "1" and
    # 16-bit modes. Reduced after conversion, they hash nearly like the plain image, reduced.
    image = _deep(mode) if mode.startswith("I;16") else (PHOTO.convert(mode) if mode == "P" else GREY.convert(mode))
    limits = ImageLimits(hash_pixels=50_000)
    small = open_image(_encoded(image, "TIFF" if mode.startswith("I;16") else "PNG"), limits)
    assert small.size == (160, 120)
    plain = image.convert("RGB") if mode == "P" else (GREY if mode.startswith("I;16") else image.convert("L"))
    expected = pdq_hash(image_pixels(open_image(_encoded(plain, "PNG"), limits))).hex
    assert hamming_distance(pdq_hash(image_pixels(small)).hex, expected) <= 16


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "not an image"),
    (b"hello, this is text", "not an image"),
    (b"%PDF-1.7\n" + bytes(200), "not an image"),
    (_encoded(PHOTO, "JPEG")[:3000], "truncated"),
    (_encoded(PHOTO, "PNG")[:5000], "truncated|decode"),
])
def test_bad_files_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageUnreadable, match=reason):
        hash_bytes(data)


def test_truncated_files_are_refused_even_after_another_library_allows_them() -> None:
    """WeasyPrint (follow-up PDFs) sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        with pytest.raises(ImageUnreadable, match="truncated"):
            hash_bytes(_encoded(PHOTO, "JPEG")[:3000])
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def test_a_folder_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageUnreadable, match="not a regular file"):
        hash_file(tmp_path)
    with pytest.raises(ImageUnreadable, match="cannot read"):
        hash_file(tmp_path / "missing.jpg")


def test_refusals_share_one_type_with_a_reason_and_exit_code_1() -> None:
    with pytest.raises(ImageRefused) as caught:
        hash_bytes(b"nope")
    assert caught.value.reason and caught.value.exit_code == 1
