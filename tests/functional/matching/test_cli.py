"""`mamoru bank create|import` and `mamoru match` as their contracts say, on both databases."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mamoru.matching import synthetic
from mamoru.matching.hashing import hash_file
from mamoru.matching.index import words_hex


def photo(path: Path, seed: int) -> Path:
    """A benign made-up picture: smooth gradients and blobs (no photograph needed)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:256, 0:256] / 256.0
    img = np.zeros((256, 256, 3))
    for c in range(3):
        for _ in range(4):
            cx, cy, r = rng.random(3)
            img[..., c] += np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (0.02 + 0.1 * r))
        img[..., c] += rng.random() * x + rng.random() * y
    img = (255 * img / img.max()).astype(np.uint8)
    Image.fromarray(img).save(path)
    return path


def rows(output: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(output)))


def test_hash_list_matching(cli: Any, tmp_path: Path) -> None:
    bank = words_hex(synthetic.uniform(20, np.random.default_rng(41)))
    (tmp_path / "bank.txt").write_text("\n".join(bank) + "\n")
    assert cli("bank", "create", "partner-list").exit_code == 0
    r = cli("bank", "import", "partner-list", str(tmp_path / "bank.txt"), "--format", "lines")
    assert r.exit_code == 0, r.output
    query = f"{int(bank[3], 16) ^ 0xFFFF:064x}"
    (tmp_path / "q.txt").write_text(f"{query}\n{words_hex(synthetic.uniform(1, np.random.default_rng(42)))[0]}\n")
    r = cli("match", "--bank", "partner-list", str(tmp_path / "q.txt"))
    assert r.exit_code == 0, r.output
    assert rows(r.stdout) == [["query", "bank", "entry_hash", "distance"],
                              [query, "partner-list", bank[3], "16"]]
    r = cli("match", "--bank", "partner-list", str(tmp_path / "q.txt"), "--distance", "15")
    assert rows(r.stdout) == [["query", "bank", "entry_hash", "distance"]]


def test_bad_import_names_lines_and_stores_nothing(cli: Any, tmp_path: Path) -> None:
    cli("bank", "create", "b")
    (tmp_path / "bad.txt").write_text("0" * 32 + "\nnope\n")
    r = cli("bank", "import", "b", str(tmp_path / "bad.txt"), "--format", "lines", "--signal", "md5")
    assert r.exit_code == 2 and "row 2" in r.output
    assert cli("bank", "export", "b", "--format", "lines").stdout == ""
    assert cli("bank", "import", "nobank", str(tmp_path / "bad.txt"), "--format", "lines").exit_code == 2


def test_folder_matching_uses_pdq_turns_and_digests(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    known = photo(folder / "a-known.png", 1)
    Image.open(known).transpose(Image.Transpose.ROTATE_90).save(folder / "b-turned.png")
    photo(folder / "c-other.png", 2)
    (folder / "d-notes.txt").write_text("not an image")
    h = hash_file(known)
    (tmp_path / "bank.csv").write_text(f"pdq,md5\n{h.pdq},{h.md5}\n")
    cli("bank", "create", "own")
    assert cli("bank", "import", "own", str(tmp_path / "bank.csv"), "--format", "csv").exit_code == 0
    r = cli("match", "--bank", "own", str(folder))
    assert r.exit_code == 1  # the text file is reported and makes the status 1
    got = {(Path(q).name, e, d) for q, _, e, d in rows(r.stdout)[1:]}
    assert (known.name, h.pdq, "0") in got and (known.name, h.md5, "0") in got
    assert any(name == "b-turned.png" and e == h.pdq for name, e, _ in got)
    assert not any(name == "c-other.png" for name, _, _ in got)
