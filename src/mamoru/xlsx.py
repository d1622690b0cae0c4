"""Spreadsheets in and out, safely.

Out: text is written as text, never as a formula (`append_row`, and `neutral_cell` for every CSV
writer), and characters XML cannot hold are replaced instead of failing the export.

In: an XLSX file is a zip of XML, so a small upload can hide a great deal of work: a zip bomb
(one entry inflating to gigabytes), a billion-laughs entity expansion, or a sheet whose declared
dimension makes openpyxl pad millions of empty cells (a 290 KB file froze the office process for
48 s; a 2.86 MB one used 2 GB). `read_sheet` checks the archive before openpyxl sees it (entry
count, each entry's size and compression ratio, the total, no DTD or entity anywhere), refuses a
sheet declaring or holding more rows or cells than the limits, and counts while reading. openpyxl
uses defusedxml (a dependency) for its XML when it is installed, which refuses entities too.
Web routes call it in a worker thread (starlette's run_in_threadpool), never on the event loop.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from typing import Any

MAX_ZIP_ENTRIES = 1_000
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
"""Each entry and the whole archive, uncompressed."""
MAX_COMPRESSION_RATIO = 100
"""Uncompressed over compressed size, for entries over RATIO_FLOOR_BYTES (a tiny entry may pack well)."""
RATIO_FLOOR_BYTES = 64 * 1024
MAX_ROWS = 100_000
MAX_CELLS = 2_000_000

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is read as a formula (or a DDE command) by spreadsheet programs."""
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML 1.0 (and so XLSX) cannot hold
_NUMBER = re.compile(r"-\d+(\.\d+)?([eE][-+]?\d+)?")


class SpreadsheetRefused(ValueError):
    """An upload that is not read, with the reason (the importers turn it into InvalidInput)."""


def _refuse(reason: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(f"the spreadsheet is refused: {reason}")


def check_workbook(data: bytes) -> None:
    """Refuse an XLSX archive that would take more than the limits to read, before parsing it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(f"not a readable XLSX workbook: not a zip file ({exc})") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise _refuse(f"{len(entries)} entries in the archive (at most {MAX_ZIP_ENTRIES})")
        total = 0
        mb = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
        for info in entries:
            total += info.file_size
            if info.file_size > MAX_UNCOMPRESSED_BYTES or total > MAX_UNCOMPRESSED_BYTES:
                raise _refuse(f"{info.filename!r} inflates past {mb} MB")
            if (info.file_size > RATIO_FLOOR_BYTES
                    and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)):
                raise _refuse(f"{info.filename!r} is compressed more than {MAX_COMPRESSION_RATIO} to 1 (a zip bomb)")
        for info in entries:  # sizes are bounded now: zipfile reads no more than the declared size
            try:
                with archive.open(info) as f:
                    head = f.read(MAX_UNCOMPRESSED_BYTES + 1)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
                raise _refuse(f"{info.filename!r} cannot be read ({exc})") from exc
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise _refuse(f"{info.filename!r} declares a DTD or XML entities")


def read_sheet(data: bytes, max_rows: int = MAX_ROWS, max_cells: int = MAX_CELLS) -> list[tuple[Any, ...]]:
    """The first worksheet's rows (values only), within the limits; SpreadsheetRefused otherwise."""
    check_workbook(data)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file (defusedxml's too)
        raise _refuse(f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        if not wb.worksheets:
            raise _refuse("the workbook has no worksheet")
        ws = wb.worksheets[0]
        declared_rows, declared_cols = ws.max_row or 0, ws.max_column or 0  # the sheet's <dimension>
        if declared_rows > max_rows + 1:
            raise _refuse(f"the sheet declares {declared_rows} rows (at most {max_rows})")
        if declared_rows * declared_cols > max_cells:
            raise _refuse(f"the sheet declares {declared_rows * declared_cols} cells (at most {max_cells})")
        rows: list[tuple[Any, ...]] = []
        cells = 0
        try:
            for row in ws.iter_rows(values_only=True):
                rows.append(row)
                cells += len(row)
                if len(rows) > max_rows + 1:  # the header row and max_rows more
                    raise _refuse(f"more than {max_rows} rows")
                if cells > max_cells:
                    raise _refuse(f"more than {max_cells} cells")
        except SpreadsheetRefused:
            raise
        except Exception as exc:
            raise _refuse(f"not a readable XLSX worksheet ({type(exc).__name__})") from exc
        return rows
    finally:
        wb.close()


def neutral_cell(value: Any) -> Any:
    """A value as a spreadsheet program will show it and never run it: text starting with =, +, -,
    @, a tab or a carriage return gets a leading apostrophe (OWASP's CSV-injection rule), except a
    negative number such as -3 or -1.5e3, which stays a number. Other values are returned as they are.

    mamoru's writers end lines with "\n", and Python 3.11's csv module quotes a field for the
    characters of the line terminator only: a carriage return without a line feed went out unquoted,
    and a reader starts a new row there, so "x\r=1+1" put a formula at the start of a row. Such a
    carriage return becomes a line feed (the field is then quoted); text holding a line feed already
    is quoted, its "\r\n" kept."""
    if not isinstance(value, str):
        return value
    lead = "'" if value.startswith(FORMULA_LEADS) and not _NUMBER.fullmatch(value) else ""
    if "\r" in value and "\n" not in value:
        value = value.replace("\r", "\n")
    return lead + value


def csv_row(values: Sequence[Any]) -> list[Any]:
    """A row for csv.writer with every cell through neutral_cell."""
    return [neutral_cell(v) for v in values]


def csv_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A row for csv.DictWriter with every cell through neutral_cell."""
    return {k: neutral_cell(v) for k, v in row.items()}


def restore_cell(value: str) -> str:
    """The text neutral_cell wrote, for mamoru's own CSV readers (a sheet exported, edited, imported):
    the apostrophe before a formula lead is taken off again."""
    if value.startswith("'") and value[1:].startswith(FORMULA_LEADS) and not _NUMBER.fullmatch(value[1:]):
        return value[1:]
    return value


def xml_safe(value: Any) -> Any:
    """Text with the control characters XML cannot hold (openpyxl raises IllegalCharacterError) replaced by U+FFFD."""
    return _ILLEGAL.sub("\ufffd", value) if isinstance(value, str) else value


def append_row(ws: Any, values: Sequence[Any]) -> None:
    """Append `values` to the openpyxl worksheet `ws`. openpyxl stores a string starting with "="
    as a formula, which a spreadsheet program would run when an officer opens the export
    (formula injection) and which reads back empty; such strings are stored as plain text. Control
    characters that XML cannot hold are replaced (U+FFFD) instead of failing the whole export."""
    ws.append([xml_safe(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
