"""Hash many files on all cores, in the order they are found, without stopping at a bad one.

`mamoru hash` and the local matcher (`mamoru match ... FOLDER`) both walk files or folders and hash
each file in a process pool; results come back in the order the files were found, each either with
its hashes or with the reason it was refused. Pure apart from reading the files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from mamoru.matching.crops import VariantHash, bank_hashes, query_hashes, trim_uniform_borders
from mamoru.matching.hashing import (
    DEFAULT_LIMITS,
    DIHEDRAL_NAMES,
    FileHashes,
    ImageLimits,
    ImageRefused,
    digests,
    image_pixels,
    open_image,
    pdq_dihedral,
    pdq_hash,
    read_file,
)


class HashMode(StrEnum):
    plain = "plain"  # the image as it is: what the PDQ reference computes
    trimmed = "trimmed"  # uniform borders trimmed first (query side)
    bank = "bank"  # plus the bank's hash set (image, trimmed, central crops)
    query = "query"  # plus the query's hash set (image and trimmed, eight turns each)
    dihedral = "dihedral"  # plus the image's eight rotations and flips (for "dihedral": true)
    trimmed_dihedral = "trimmed_dihedral"  # the same, of the image with uniform borders trimmed


@dataclass
class HashOutcome:
    path: str
    hashes: FileHashes | None = None
    variants: list[VariantHash] = field(default_factory=list)
    error: str | None = None


def find_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Each path in order; a folder's files recursively, names sorted, folders' links not followed.

    A path that does not exist is yielded as it is, so that hashing reports it."""
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            yield path
            continue
        for folder, subfolders, files in os.walk(path):
            subfolders.sort()
            for name in sorted(files):
                yield Path(folder) / name


def hash_one(path: str, mode: HashMode = HashMode.plain,
             limits: ImageLimits = DEFAULT_LIMITS) -> HashOutcome:
    """Hash one file; a refused file gives an outcome with the reason, never an exception."""
    try:
        data = read_file(path, limits)
        image = open_image(data, limits)
        pixels = image_pixels(image)
        trimmed = mode in (HashMode.trimmed, HashMode.trimmed_dihedral)
        if trimmed:
            pixels = trim_uniform_borders(pixels)
        pdq = pdq_hash(pixels)
        md5, sha1, sha256 = digests(data)
        hashes = FileHashes(pdq.hex, pdq.quality, md5, sha1, sha256, image.width, image.height)
        variants: list[VariantHash] = []
        if mode is HashMode.bank:
            variants = bank_hashes(pixels)
        elif mode is HashMode.query:
            variants = query_hashes(pixels)
        elif mode in (HashMode.dihedral, HashMode.trimmed_dihedral):
            turns, quality = pdq_dihedral(pixels)
            variants = [VariantHash(name, h, quality) for name, h in zip(DIHEDRAL_NAMES, turns, strict=True)]
        return HashOutcome(path, hashes, variants)
    except ImageRefused as exc:
        return HashOutcome(path, error=exc.reason)
    except MemoryError:
        return HashOutcome(path, error="not enough memory to decode this image")


def _hash_task(task: tuple[str, HashMode, ImageLimits]) -> HashOutcome:
    return hash_one(*task)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def hash_many(paths: Sequence[Path], mode: HashMode = HashMode.plain, *,
              workers: int | None = None,
              limits: ImageLimits = DEFAULT_LIMITS) -> Iterator[HashOutcome]:
    """Outcomes in the order of `paths`, hashed by `workers` processes (all cores by default).

    All work is submitted before the first outcome is yielded, so the worker processes start
    before the caller starts any thread of its own (a progress bar)."""
    workers = workers or default_workers()
    tasks = [(str(p), mode, limits) for p in paths]
    if workers <= 1 or len(tasks) < 4:
        yield from (_hash_task(t) for t in tasks)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        chunk = max(1, min(16, len(tasks) // (workers * 8)))
        yield from pool.map(_hash_task, tasks, chunksize=chunk)
