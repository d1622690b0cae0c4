"""Short coverage-guided fuzzing runs (atheris) of the harnesses in fuzz/, as in CI.

Each harness runs for MAMORU_FUZZ_SECONDS (default 10, seed 1, so a CI run is repeatable) in its own process; a crash or an escaped
exception fails the test with atheris' report. bench/fuzz.sh runs them for longer.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("MAMORU_FUZZ_SECONDS", "10"))

atheris = pytest.importorskip("atheris", reason="atheris does not install on this Python")


def image_seeds(folder: Path) -> None:
    """Benign generated images in several formats (gradients and noise), as a starting corpus."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    pictures = [Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)),
                Image.linear_gradient("L").resize((40, 30)), Image.new("RGBA", (9, 7), (10, 200, 30, 128))]
    n = 0
    for picture in pictures:
        for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"):
            buf = io.BytesIO()
            (picture.convert("RGB") if fmt in ("JPEG", "BMP") else picture).save(buf, fmt)
            (folder / f"seed{n}.{fmt.lower()}").write_bytes(buf.getvalue())
            n += 1


FOUND = sorted((Path(__file__).parent / "data").glob("fuzz-*"))


@pytest.mark.parametrize("found", FOUND, ids=[p.name for p in FOUND])
def test_files_found_by_the_fuzzer_are_refused_or_hashed_never_crash(found: Path) -> None:
    """Inputs the fuzzer once broke hash_bytes with: a crafted 213-byte TIFF (TypeError out of
    Pillow) and a tall palette GIF (Image.reduce refused mode "P"). Each must now be hashed or
    refused with a reason, under the harness's limits and the default ones."""
    from mamoru.matching import hashing

    data = found.read_bytes()
    for limits in (hashing.ImageLimits(max_file_bytes=1 << 20, max_pixels=1 << 20, max_side=4096, hash_pixels=1 << 16),
                   hashing.DEFAULT_LIMITS):
        try:
            result = hashing.hash_bytes(data, limits)
        except hashing.ImageRefused as refused:
            assert str(refused)
        else:
            assert len(result.pdq) == 64


@pytest.mark.slow
@pytest.mark.parametrize("harness", ["fuzz_urls.py",
                                     "fuzz_image_hashing.py"])
def test_fuzz_harness_runs_clean(harness: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    if "image" in harness:
        image_seeds(corpus)
    else:
        for i, seed in enumerate([b"http://Example.COM:80/a/../b?x#y", b"%31%32%37.1/%2e%2e/", b"http://[::1]/"]):
            (corpus / f"seed{i}").write_bytes(seed)
    r = subprocess.run([sys.executable, str(REPO / "fuzz" / harness), f"-max_total_time={SECONDS}", "-seed=1",
                        "-rss_limit_mb=1536", "-timeout=10", f"-artifact_prefix={tmp_path}/", str(corpus)],
                       capture_output=True, text=True, timeout=SECONDS + 120, cwd=tmp_path)
    report = (r.stdout + r.stderr)[-4000:]
    assert r.returncode == 0, report
    assert "Done" in report and "runs in" in report, report
