"""`mamoru hash`: the CSV contract on standard output, reasons on standard error, the exit status.

Run as a real process (no database needed) so that the process pool, the streams and the exit
status are exactly what a platform's script sees.
"""

from __future__ import annotations

import csv
import io
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bench.photos import generated_photo
from PIL import Image
from tests.conftest import DATA

from mamoru.matching.crops import BANK_CROP_FRACTIONS
from mamoru.matching.hashing import hamming_distance

PDQ = DATA / "conformance" / "pdq"


def mamoru_hash(*args: str | Path, stderr: int | None = subprocess.PIPE
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mamoru.cli", "hash", *map(str, args)],
                          stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=120)


def rows(stdout: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(stdout)))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    (root / "b-sub").mkdir(parents=True)
    for name in ("aaa-orig.jpg", "blur-a-lot.jpg", "shrink-a-lot.jpg"):
        shutil.copy(PDQ / "images" / "bridge-mods" / name, root / name)
    shutil.copy(PDQ / "images" / "pen-and-coaster.png", root / "b-sub" / "pen.png")
    (root / "a-notes.txt").write_text("not an image\n")
    data = (PDQ / "images" / "dih" / "bridge-1-original.jpg").read_bytes()
    (root / "b-sub" / "cut.jpg").write_bytes(data[:4000])
    return root


def test_folder_rows_in_order_found_bad_files_reported_and_exit_status_1(folder: Path) -> None:
    extra = PDQ / "images" / "labelme-subset" / "q0122.jpg"
    result = mamoru_hash(folder, extra, folder / "missing.jpg")
    assert result.stdout.splitlines()[0].startswith("path,pdq,quality,md5,sha256")
    found = [Path(r["path"]).name for r in rows(result.stdout)]
    assert found == ["aaa-orig.jpg", "blur-a-lot.jpg", "shrink-a-lot.jpg", "pen.png", "q0122.jpg"]
    assert result.returncode == 1
    assert "a-notes.txt: not an image file" in result.stderr
    assert "cut.jpg: cannot decode image: image file is truncated" in result.stderr
    assert "missing.jpg: cannot read file" in result.stderr
    assert "3 of 8 files could not be hashed" in result.stderr


def test_hashes_agree_with_the_reference_and_exit_0(tmp_path: Path) -> None:
    reference = {r["image"]: r["pdq_hex"] for r in csv.DictReader(
        (PDQ / "reference-hashes.csv").open())}
    result = mamoru_hash(PDQ / "images" / "dih")
    assert result.returncode == 0 and result.stderr == ""  # no progress bar when not a terminal
    got = rows(result.stdout)
    assert len(got) == 8
    for row in got:
        assert len(row["pdq"]) == 64 and len(row["sha256"]) == 64 and len(row["sha1"]) == 40
        name = "images/dih/" + Path(row["path"]).name
        assert hamming_distance(row["pdq"], reference[name]) <= 10


def test_one_process_and_the_pool_give_the_same_output(folder: Path) -> None:
    assert mamoru_hash(folder, "--workers", "1").stdout == mamoru_hash(folder).stdout


def test_for_bank_writes_a_hash_set_per_image_grouped_by_item(folder: Path) -> None:
    result = mamoru_hash("--for-bank", folder)
    assert result.stdout.startswith("path,pdq,quality,md5,sha256,sha1,item,variant\n")
    got = rows(result.stdout)
    items = {r["item"] for r in got}
    assert items == {"1", "2", "3", "4"}
    first = [r for r in got if r["item"] == "1"]
    assert [r["variant"] for r in first] == ["original"] + [
        f"crop{round(f * 100):02d}" for f in BANK_CROP_FRACTIONS]
    assert len({r["sha256"] for r in first}) == 1 and len({r["pdq"] for r in first}) == 6
    assert result.returncode == 1  # the bad files still count


def test_trim_borders_hashes_a_letterboxed_copy_like_the_original(tmp_path: Path) -> None:
    photo = generated_photo(5)
    framed = np.zeros((photo.shape[0] + 60, photo.shape[1], 3), dtype=np.uint8)
    framed[30:-30] = photo
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(framed).save(tmp_path / "framed.jpg", quality=90)
    plain = {Path(r["path"]).name: r["pdq"] for r in rows(mamoru_hash(tmp_path).stdout)}
    trimmed = {Path(r["path"]).name: r["pdq"]
               for r in rows(mamoru_hash("--trim-borders", tmp_path).stdout)}
    assert hamming_distance(plain["framed.jpg"], plain["photo.png"]) > 31
    assert hamming_distance(trimmed["framed.jpg"], plain["photo.png"]) <= 16


def test_progress_bar_goes_to_the_terminal_only(folder: Path) -> None:
    controller, terminal = pty.openpty()
    try:
        result = mamoru_hash(folder, stderr=terminal)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    assert b"hashing" in shown and b"a-notes.txt" in shown
    assert "hashing" not in result.stdout.splitlines()[1]
    assert len(rows(result.stdout)) == 4


def test_dihedral_adds_the_eight_turns_that_match_a_turned_copy() -> None:
    folder = PDQ / "images" / "dih"
    result = mamoru_hash("--dihedral", folder / "bridge-1-original.jpg", folder / "bridge-2-rotate-90.jpg")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("path,pdq,quality,md5,sha256,sha1,pdq_dihedral\n")
    original, turned = rows(result.stdout)
    eight = turned["pdq_dihedral"].split(",")
    assert len(eight) == 8 and eight[0] == turned["pdq"]
    assert hamming_distance(turned["pdq"], original["pdq"]) > 31
    assert min(hamming_distance(h, original["pdq"]) for h in eight) <= 31
    refused = mamoru_hash("--dihedral", "--for-bank", folder)
    assert refused.returncode == 2 and "--dihedral" in refused.stderr


def test_hash_starts_without_the_rest_of_mamoru(tmp_path: Path) -> None:
    """`mamoru hash` runs in platforms' upload pipelines, maybe once per file: it must not import
    the database, web or PDF layers (0.9 s), and must answer exactly as the whole command does."""
    photo = tmp_path / "photo.png"
    Image.fromarray(generated_photo(5, 320, 240)).save(photo)
    probe = (
        "import sys\n"
        f"sys.argv = ['mamoru', 'hash', {str(photo)!r}]\n"
        "from mamoru.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'fastapi', 'weasyprint', 'mamoru.db', 'mamoru.cli.app')"
        " if m in sys.modules)\n"
        "print('heavy:', heavy, file=sys.stderr)\n")
    fast = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert "heavy: []" in fast.stderr, fast.stderr
    from typer.testing import CliRunner

    from mamoru.cli.app import app

    whole = CliRunner().invoke(app, ["hash", str(photo)])
    assert whole.exit_code == 0 and fast.stdout == whole.stdout
    assert rows(fast.stdout)[0]["path"] == str(photo)
