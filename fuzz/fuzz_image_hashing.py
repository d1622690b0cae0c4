"""atheris harness: the image hashing entry point (mamoru.matching.hashing.hash_bytes) on arbitrary bytes.

Property: a file is hashed or refused with ImageRefused (unreadable, unsupported, too large);
nothing else escapes, and small limits keep every decode cheap. Seeds: benign generated images.
Run: python fuzz/fuzz_image_hashing.py -max_total_time=20 [CORPUS_DIR]
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from mamoru.matching import hashing

LIMITS = hashing.ImageLimits(max_file_bytes=1 << 20, max_pixels=1 << 20, max_side=4096, hash_pixels=1 << 16)


def test_one_input(data: bytes) -> None:
    try:
        result = hashing.hash_bytes(data, LIMITS)
    except hashing.ImageRefused:
        return
    assert len(result.pdq) == 64, result


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
