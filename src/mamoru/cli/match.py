"""`mamoru match --bank NAME FILE`: match a hash list, an image or a folder against a bank locally.

Output contract: CSV on standard output, header `query,bank,entry_hash,distance`, one row per
match (none for a query without matches). For a hash list the query is the hash; for images it is
the file's path, matched by its PDQ hash set (the image and its uniform-border trim, each in its
eight rotations and flips; the nearest variant counts) and by its MD5, SHA-1 and SHA-256.
Unreadable files are reported on standard error and make the exit status 1.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.cli.common import domain_errors, err, fail, load_settings, open_database
from mamoru.matching.index import MATCH_DISTANCE, MAX_DISTANCE
from mamoru.xlsx import csv_row

HEADER = ["query", "bank", "entry_hash", "distance"]


def _hash_list(path: Path) -> list[str] | None:
    """The hashes if the file is a PDQ hash list (one 64-hex hash a line), else None."""
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    except (UnicodeDecodeError, OSError):
        return None
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    hexdigits = set("0123456789abcdefABCDEF")
    if lines and all(len(ln) == 64 and set(ln) <= hexdigits for ln in lines):
        return [ln.lower() for ln in lines]
    return None


def _chunks(items: list[str], size: int = 1000) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _entry_hashes(session: Session, ids: set[int]) -> dict[int, str]:
    from mamoru.matching.models import HashBankEntry

    out: dict[int, str] = {}
    id_list = sorted(ids)
    for i in range(0, len(id_list), 1000):
        out.update(session.execute(select(HashBankEntry.id, HashBankEntry.hash).where(
            HashBankEntry.id.in_(id_list[i:i + 1000]))).all())
    return out


def _match_images(session: Session, matcher: object, bank_ids: set[int], path: Path,
                  distance: int) -> tuple[list[tuple[str, int, int, int]], int]:
    """(query path, bank id, entry id, distance) rows, and how many files failed."""
    from mamoru.matching.hashrun import HashMode, find_files, hash_many
    from mamoru.matching.index import pdq_words
    from mamoru.matching.matcher import Matcher

    assert isinstance(matcher, Matcher)
    rows: list[tuple[str, int, int, int]] = []
    failed = 0
    for outcome in hash_many(list(find_files([path])), HashMode.query):
        if outcome.hashes is None:
            err.print(f"{outcome.path}: {outcome.error}", markup=False)
            failed += 1
            continue
        best: dict[tuple[int, int], int] = {}
        hexes = [outcome.hashes.pdq] + [v.pdq for v in outcome.variants]
        found, _ = matcher.match_pdq(pdq_words(hexes), distance, bank_ids)
        h = outcome.hashes
        for signal, digest in (("md5", h.md5), ("sha1", h.sha1), ("sha256", h.sha256)):
            exact, _ = matcher.match_exact(signal, [bytes.fromhex(digest)], bank_ids)
            found.extend(exact)
        for m in (m for ms in found for m in ms):
            key = (m.bank_id, m.entry_id)
            best[key] = min(best.get(key, m.distance), m.distance)
        rows.extend((outcome.path, b, e, d) for (b, e), d in sorted(best.items(), key=lambda x: x[1]))
    return rows, failed


def match_command(
    file: Path = typer.Argument(..., help="A PDQ hash list (one 64-hex hash a line), an image or a folder."),
    bank: list[str] = typer.Option(..., "--bank", help="Bank to match against (repeat for several)."),
    distance: int = typer.Option(MATCH_DISTANCE, "--distance", min=0, max=MAX_DISTANCE, help="Largest Hamming distance for PDQ."),
) -> None:
    """Match hashes or images against banks; CSV `query,bank,entry_hash,distance` on standard output."""
    from mamoru.matching.answers import answer
    from mamoru.matching.runtime import MatchRuntime
    from mamoru.matching.service import get_bank
    from mamoru.matching.settings import MatchingSettings

    if not file.exists():
        fail(f"{file}: no such file or folder", 2)
    settings = load_settings()
    db = open_database(settings)
    runtime = MatchRuntime.from_settings(settings.domain(MatchingSettings), db)
    out = csv.writer(sys.stdout, lineterminator="\n")
    failed = 0
    with domain_errors(), db.session() as s:
        banks = {get_bank(s, name).id: name for name in bank}
        matcher = runtime.matcher()
        hashes = _hash_list(file) if file.is_file() else None
        rows: list[tuple[str, int, int, int]] = []
        if hashes is not None:
            for part in _chunks(hashes):
                ans = answer(s, matcher, None, part, "pdq", distance, list(banks.values()))
                rows.extend((r.query, next(b for b, n in banks.items() if n == m["bank"]),
                             m["entry_id"], m["distance"]) for r in ans.results for m in r.matches)
        else:
            rows, failed = _match_images(s, matcher, set(banks), file, distance)
        entry_hash = _entry_hashes(s, {r[2] for r in rows})
    out.writerow(HEADER)
    for query, bank_id, entry_id, dist in rows:
        out.writerow(csv_row([query, banks[bank_id], entry_hash.get(entry_id, ""), dist]))  # file and bank names
    sys.stdout.flush()
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("match")(match_command)
