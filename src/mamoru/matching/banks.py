"""Bank files in and out: plain lists, CSV with metadata, threatexchange hash files, Project VIC JSON.

Pure: bytes in, `EntryIn` values out (or text out). A file is read whole and every bad line is
reported with its line number and reason before anything is stored, so an import is all or
nothing. Accepted formats:
- `lines`: one hash a line, of the signal type given (default pdq); blank lines and # comments skipped.
A hash given twice in one file is stored once.
- `csv`: a header, then either a `hash` column (with optional `signal`, `category`, `case_ref`,
  `item`, `expires_at`) or the columns that `mamoru hash` writes (`pdq`, `md5`, `sha1`, `sha256`,
  optional `item`, `category`, `case_ref`): one entry per hash given. A `path` column is ignored.
- `te`: the threatexchange CLI's hash lines, `SIGNAL HASH` (`pdq 2b5f...`), or a bare hash.
- `vic`: Project VIC-style JSON: {"value": [{"MD5": ..., "SHA1": ..., "Category": 1}, ...]},
  items possibly nested in a "Media" list; the label is `vic:<category>`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from mamoru.errors import BadValue, InvalidInput, Problem
from mamoru.xlsx import csv_row, restore_cell

FORMATS = ("lines", "csv", "te", "vic")
HEX_DIGITS = {"pdq": 64, "md5": 32, "sha1": 40, "sha256": 64}
TE_SIGNALS = {"pdq": "pdq", "md5": "md5", "photo_md5": "md5", "video_md5": "md5",
              "sha1": "sha1", "sha256": "sha256"}
_HEX = re.compile(r"^[0-9a-f]+$")
_META = ("category", "case_ref", "item")


@dataclass(frozen=True)
class EntryIn:
    signal: str
    hash: str
    category: str = ""
    case_ref: str | None = None
    item: str | None = None
    expires_at: datetime | None = None


def normalise_hash(signal: str, text: str) -> str:
    """Lower-case hex of the right length for the signal type; ValueError with the reason."""
    if signal not in HEX_DIGITS:
        raise BadValue("unknown signal type {signal!r} (pdq, md5, sha1, sha256)", signal=signal)
    h = text.strip().lower()
    if len(h) != HEX_DIGITS[signal] or not _HEX.match(h):
        raise BadValue("a {signal} hash is {digits} hex digits, not {found!r}", signal=signal, digits=HEX_DIGITS[signal],
                       found=h[:70])
    return h


def _expiry(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue("expires_at must be an ISO date or date-time, not {text!r}", text=text) from None
    if isinstance(d, datetime) and d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput([Problem.of(None, "file", "not UTF-8 text ({reason})", reason=exc.reason)]) from None


def parse_lines(text: str, signal: str, te: bool = False) -> tuple[list[EntryIn], list[Problem]]:
    entries, problems = [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        sig = signal
        try:
            if te and len(parts) == 2:
                if parts[0].lower() not in TE_SIGNALS:
                    raise BadValue("unknown threatexchange signal type {signal!r}", signal=parts[0])
                sig = TE_SIGNALS[parts[0].lower()]
            elif len(parts) != 1:
                raise BadValue("expected one hash or SIGNAL HASH per line" if te else "expected one hash per line")
            entries.append(EntryIn(sig, normalise_hash(sig, parts[-1])))
        except ValueError as exc:
            problems.append(Problem.because(n, "hash", exc))
    return entries, problems


def _csv_row(row: dict[str, str], signal: str) -> list[EntryIn]:
    meta = {k: restore_cell((row.get(k) or "").strip()) for k in _META}  # as export_entries wrote them
    expires_at = _expiry(row.get("expires_at") or "")

    def entry(sig: str, text: str) -> EntryIn:
        return EntryIn(sig, normalise_hash(sig, text), category=meta["category"], case_ref=meta["case_ref"] or None,
                       item=meta["item"] or None, expires_at=expires_at)

    if "hash" in row:
        return [entry((row.get("signal") or "").strip().lower() or signal, row["hash"] or "")]
    out = [entry(s, row[s]) for s in HEX_DIGITS if (row.get(s) or "").strip()]
    if not out:
        raise BadValue("no hash on this line")
    return out


def parse_csv(text: str, signal: str) -> tuple[list[EntryIn], list[Problem]]:
    # newline="": the csv module splits records itself ("\n", "\r\n" or a lone "\r"), so a
    # carriage return ends a line and one inside quotes stays in its field, as the csv docs ask.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    entries: list[EntryIn] = []
    problems: list[Problem] = []
    try:
        cols = set(reader.fieldnames or [])
        if "hash" not in cols and not cols & set(HEX_DIGITS):
            return [], [Problem(1, "header", "needs a hash column (or pdq, md5, sha1, sha256 columns)")]
        for row in reader:
            try:
                entries.extend(_csv_row(row, signal))
            except ValueError as exc:
                problems.append(Problem.because(reader.line_num, "hash", exc))
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: the rest is unreadable
        problems.append(Problem.of(max(reader.reader.line_num, 1), "csv", "not readable as CSV from here on ({reason})",
                                   reason=str(exc)))
    return entries, problems


def _vic_items(doc: Any) -> Iterable[tuple[str, dict[str, Any]]]:
    values = doc.get("value") if isinstance(doc, dict) else None
    if not isinstance(values, list):
        raise InvalidInput([Problem(None, "value", "a Project VIC file has a top-level 'value' list")])
    for i, item in enumerate(values, start=1):
        media = item.get("Media") if isinstance(item, dict) else None
        if isinstance(media, list):
            for j, m in enumerate(media, start=1):
                yield f"value[{i}].Media[{j}]", m
        else:
            yield f"value[{i}]", item


def parse_vic(text: str) -> tuple[list[EntryIn], list[Problem]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [Problem.of(exc.lineno, "json", "not readable as JSON ({reason})", reason=exc.msg)]
    entries, problems = [], []
    for where, item in _vic_items(doc):
        if not isinstance(item, dict):
            problems.append(Problem(None, where, "not an object"))
            continue
        keys = {k.lower(): v for k, v in item.items()}
        cat = keys.get("category")
        label = f"vic:{cat}" if cat is not None else ""
        found = [(s, keys[s]) for s in ("md5", "sha1") if keys.get(s)]
        if not found:
            problems.append(Problem(None, where, "no MD5 or SHA1"))
        for s, v in found:
            try:
                entries.append(EntryIn(s, normalise_hash(s, str(v)), category=label))
            except ValueError as exc:
                problems.append(Problem.because(None, where, exc))
    return entries, problems


def parse_bank_file(data: bytes, fmt: str, signal: str = "pdq") -> list[EntryIn]:
    """Every entry of the file, or InvalidInput listing every bad line (nothing partial)."""
    if fmt not in FORMATS:
        raise InvalidInput("unknown format {fmt!r} (lines, csv, te, vic)", fmt=fmt)
    if signal not in HEX_DIGITS:
        raise InvalidInput("unknown signal type {signal!r} (pdq, md5, sha1, sha256)", signal=signal)
    text = _text(data)
    if fmt == "lines":
        entries, problems = parse_lines(text, signal)
    elif fmt == "te":
        entries, problems = parse_lines(text, signal, te=True)
    elif fmt == "csv":
        entries, problems = parse_csv(text, signal)
    else:
        entries, problems = parse_vic(text)
    if problems:
        raise InvalidInput(problems)
    if not entries:
        raise InvalidInput("the file holds no hashes")
    seen: set[tuple[str, str]] = set()
    unique = []
    for e in entries:  # `mamoru hash --for-bank` repeats the file digests on every variant row
        if (e.signal, e.hash) not in seen:
            seen.add((e.signal, e.hash))
            unique.append(e)
    return unique


@dataclass(frozen=True)
class EntryOut:
    signal: str
    hash: str
    category: str
    case_ref: str | None
    item: str | None
    added_at: datetime
    expires_at: datetime | None
    disabled: bool


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def export_entries(entries: list[EntryOut], fmt: str, signal: str | None = None) -> str:
    """A bank (or one signal type of it) in one of the import formats; disabled entries only in CSV."""
    live = [e for e in entries if not e.disabled and (signal is None or e.signal == signal)]
    if fmt == "lines":
        return "".join(f"{e.hash}\n" for e in live)
    if fmt == "te":
        return "".join(f"{e.signal} {e.hash}\n" for e in live)
    if fmt == "vic":
        items = [{e.signal.upper(): e.hash, "Category": e.category.removeprefix("vic:")}
                 for e in live if e.signal in ("md5", "sha1")]
        return json.dumps({"value": items}, indent=1) + "\n"
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["signal", "hash", "category", "case_ref", "item", "added_at", "expires_at", "disabled"])
    for e in entries:
        if signal is None or e.signal == signal:
            w.writerow(csv_row([e.signal, e.hash, e.category, e.case_ref or "", e.item or "",  # mamoru.xlsx
                                _iso(e.added_at), _iso(e.expires_at), "1" if e.disabled else "0"]))
    return out.getvalue()
