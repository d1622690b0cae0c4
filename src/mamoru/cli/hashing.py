"""`mamoru hash PATH...`: hash image files where they are and write CSV to standard output.

Output contract (other tools rely on it): header starting `path,pdq,quality,md5,sha256` (then
sha1), one row per image in the order found; a file that is not a readable image gets no row, a
message on standard error with the reason, and makes the exit status 1. `--for-bank` writes the
bank's hash set of each image, one row per hash, grouped by the `item` column. A path starting
with =, +, -, @, a tab or a carriage return is written with a leading apostrophe, so a spreadsheet
program shows it instead of running it (mamoru.xlsx.neutral_cell).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import typer

from mamoru.matching.hashing import ImageLimits
from mamoru.matching.hashrun import HashMode, HashOutcome, find_files, hash_many
from mamoru.xlsx import csv_row

HEADER = ["path", "pdq", "quality", "md5", "sha256", "sha1"]
BANK_HEADER = [*HEADER, "item", "variant"]
DIHEDRAL_HEADER = [*HEADER, "pdq_dihedral"]


def _rows(outcome: HashOutcome, item: int, for_bank: bool) -> list[list[str]]:
    h = outcome.hashes
    assert h is not None
    if not for_bank:
        row = [outcome.path, h.pdq, str(h.quality), h.md5, h.sha256, h.sha1]
        if outcome.variants:  # --dihedral: the eight turns, comma-separated, as POST /api/v1/match takes them
            row.append(",".join(v.pdq for v in outcome.variants))
        return [row]
    return [[outcome.path, v.pdq, str(v.quality), h.md5, h.sha256, h.sha1, str(item), v.variant]
            for v in outcome.variants]


def _progress(total: int):  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress("hashing", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=True)


def hash_command(
    paths: list[Path] = typer.Argument(
        ..., metavar="PATH...", help="Image files or folders (searched recursively)."),
    for_bank: bool = typer.Option(
        False, "--for-bank",
        help="Write each image's bank hash set (the image, trimmed, central crops), one row per "
             "hash, with `item` (the image's number in this run) and `variant` columns."),
    trim_borders: bool = typer.Option(
        False, "--trim-borders",
        help="Query side: trim uniform borders (letterbox, frames) before hashing."),
    dihedral: bool = typer.Option(
        False, "--dihedral",
        help="Add a `pdq_dihedral` column: the image's eight rotations and flips' PDQ hashes, "
             "comma-separated (original, rotate90, rotate180, rotate270, flipx, flipy, flipplus1, "
             "flipminus1), for a match request with \"dihedral\": true."),
    workers: int = typer.Option(0, "--workers", help="Processes to hash with (0: all cores)."),
    max_pixels: int = typer.Option(
        ImageLimits.max_pixels, "--max-pixels",
        help="Refuse images with more pixels than this (checked before decoding)."),
    max_file_mb: int = typer.Option(
        ImageLimits.max_file_bytes // 2**20, "--max-file-mb", help="Refuse larger files."),
) -> None:
    """Hash images (PDQ with quality, MD5, SHA-256, SHA-1) to CSV on standard output."""
    if for_bank and trim_borders:
        raise typer.BadParameter("--for-bank already includes the trimmed image; use one")
    if for_bank and dihedral:
        raise typer.BadParameter("--dihedral is for queries; a bank's hash set is --for-bank alone")
    if dihedral:
        mode = HashMode.trimmed_dihedral if trim_borders else HashMode.dihedral
    else:
        mode = HashMode.bank if for_bank else HashMode.trimmed if trim_borders else HashMode.plain
    limits = ImageLimits(max_file_bytes=max_file_mb * 2**20, max_pixels=max_pixels)
    files = list(find_files(paths))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(BANK_HEADER if for_bank else DIHEDRAL_HEADER if dihedral else HEADER)
    outcomes = hash_many(files, mode, workers=workers or None, limits=limits)
    failed = _write(outcomes, out, len(files), for_bank)
    sys.stdout.flush()
    if failed:
        print(f"mamoru: {failed} of {len(files)} files could not be hashed", file=sys.stderr)
        raise typer.Exit(1)


def _write(outcomes, out, total: int, for_bank: bool) -> int:  # type: ignore[no-untyped-def]
    progress = _progress(total) if sys.stderr.isatty() else None
    task = progress.add_task("hashing", total=total) if progress else None
    failed = item = 0
    if progress:
        progress.start()
    try:
        for outcome in outcomes:
            if outcome.error is not None:
                failed += 1
                message = f"mamoru: {outcome.path}: {outcome.error}"
                (progress.console.print(message, markup=False, highlight=False, soft_wrap=True) if progress
                 else print(message, file=sys.stderr))
            else:
                item += 1
                out.writerows(csv_row(r) for r in _rows(outcome, item, for_bank))  # file names (mamoru.xlsx)
            if progress:
                progress.advance(task)
    finally:
        if progress:
            progress.stop()
    return failed


def register(app: typer.Typer) -> None:
    app.command("hash")(hash_command)
