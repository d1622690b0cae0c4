"""A round's entries as an XLSX or CSV sheet, and the edited sheet read back.

Rows are matched by the entry's stable id (`entry_id`). The whole file is checked before anything
is written: a conflict (the entry changed since the export, or is locked) or a bad cell is
reported with its row and column, and then nothing of the file is saved.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, Problem
from mamoru.followup import workflow
from mamoru.followup.entries import (
    _keep_version,
    _status_map,
    apply_content,
    content_of,
    is_office,
    own_agency,
    round_entries,
)
from mamoru.followup.models import ReportingRound, RoundEntry
from mamoru.xlsx import append_row, csv_dict, read_sheet, restore_cell

COLUMNS = ["entry_id", "version", "measure_id", "code", "pillar", "measure_title_ja", "measure_title_en", "agency",
           "state", "status", "progress", "narrative_ja", "narrative_en", "figures", "evidence"]
EDITABLE = ("status", "narrative_ja", "narrative_en", "figures", "evidence")
FORMATS = ("xlsx", "csv")
MAX_ROWS = 10_000


def export_rows(session: Session, r: ReportingRound, agency_code: str | None = None) -> list[dict[str, str]]:
    return [{
        "entry_id": e.key, "version": str(e.version), "measure_id": e.measure.uid, "code": e.measure.code,
        "pillar": str(e.measure.pillar.number), "measure_title_ja": e.measure.title_ja,
        "measure_title_en": e.measure.title_en, "agency": e.agency.code, "state": e.state,
        "status": e.status.key if e.status else "", "progress": str(e.status.progress) if e.status else "",
        "narrative_ja": e.narrative_ja, "narrative_en": e.narrative_en,
        "figures": workflow.format_figures(e.figures or []), "evidence": workflow.format_evidence(e.evidence or []),
    } for e in round_entries(session, r, agency_code)]


def write(rows: list[dict[str, str]], fmt: str) -> bytes:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(csv_dict(r) for r in rows)  # no cell a spreadsheet program would run (mamoru.xlsx)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens Japanese CSV correctly
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "entries"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, [row[c] for c in COLUMNS])
    for i, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 50 if name.startswith(("narrative", "measure_title")) else 14
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes, fmt: str) -> list[dict[str, str]]:
    """Rows as dictionaries of strings; raises InvalidInput on an unreadable file or header."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; choose xlsx or csv")
    try:
        if fmt == "csv":
            text = data.decode("utf-8-sig")
            raw = [[restore_cell(v) for v in row] for row in csv.reader(io.StringIO(text))]
        else:
            # zip bombs, entities and padded dimensions refused before openpyxl reads (mamoru.xlsx)
            raw = [["" if v is None else str(v) for v in row] for row in read_sheet(data, max_rows=MAX_ROWS)]
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InvalidInput(f"cannot read the file as {fmt}: {exc}") from exc
    if not raw:
        raise InvalidInput("the file is empty")
    header = [h.strip() for h in raw[0]]
    missing = [c for c in ("entry_id", "version", *EDITABLE) if c not in header]
    if missing:
        raise InvalidInput([Problem(1, c, "column missing from the header row") for c in missing])
    if len(raw) - 1 > MAX_ROWS:
        raise InvalidInput(f"more than {MAX_ROWS} rows")
    return [{h: (row[i] if i < len(row) else "") for i, h in enumerate(header)} for row in raw[1:]]


@dataclass
class ImportResult:
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0


def _where(header: list[str], name: str) -> str:
    return f"{name} (column {get_column_letter(header.index(name) + 1)})" if name in header else name


def _parse(row: dict[str, str], rowno: int, header: list[str],
           status_keys: set[str]) -> tuple[workflow.Content | None, list[Problem]]:
    problems = []
    try:
        figures = workflow.parse_figures(row.get("figures", ""))
    except ValueError as exc:
        problems.append(Problem.because(rowno, _where(header, "figures"), exc))
        figures = []
    content = workflow.Content(status=row.get("status", "").strip() or None,
                               narrative_en=row.get("narrative_en", "").strip(),
                               narrative_ja=row.get("narrative_ja", "").strip(), figures=figures,
                               evidence=workflow.parse_evidence(row.get("evidence", "")))
    for p in workflow.check_content(content, status_keys, rowno):
        problems.append(Problem(rowno, _where(header, p.field), p.reason, p.template, p.params))
    return (None if problems else content), problems


def _changed(entry: RoundEntry, content: workflow.Content) -> bool:
    return content.snapshot() != content_of(entry).snapshot()


def import_rows(session: Session, r: ReportingRound, rows: list[dict[str, str]], actor: User | None) -> ImportResult:
    """Apply an edited sheet to the round: every row checked first, then all saved or none."""
    header = list(rows[0].keys()) if rows else COLUMNS
    # the round's state under a shared lock on its row (PostgreSQL): no import while it is being published
    state = session.scalar(select(ReportingRound.state).where(ReportingRound.id == r.id).with_for_update(read=True))
    entries = {e.key: e for e in round_entries(session, r)}
    statuses = _status_map(session)
    problems: list[Problem] = []
    todo: list[tuple[RoundEntry, workflow.Content]] = []
    seen: dict[str, int] = {}
    result = ImportResult()
    for rowno, row in enumerate(rows, start=2):
        key = row.get("entry_id", "").strip()
        if not key and not any(v.strip() for v in row.values()):
            continue
        entry = entries.get(key)
        if entry is None:
            problems.append(Problem(rowno, _where(header, "entry_id"), f"no entry {key!r} in round {r.id}"))
            continue
        if key in seen:
            problems.append(Problem(rowno, _where(header, "entry_id"), f"the same entry is on row {seen[key]}"))
            continue
        seen[key] = rowno
        content, bad = _parse(row, rowno, header, set(statuses))
        problems += bad
        if content is None or not _changed(entry, content):
            result.unchanged += content is not None
            continue
        problems += _conflicts(entry, row, rowno, header, actor, r, state or r.state)
        todo.append((entry, content))
    if problems:
        raise InvalidInput(problems)
    for entry, content in todo:
        apply_content(session, entry, content, statuses)
        _keep_version(session, entry, "import", actor)
        result.changed.append(entry.key)
    audit.record(session, actor, "followup:round:import", f"round:{r.id}",
                 {"changed": len(result.changed), "unchanged": result.unchanged})
    session.flush()
    return result


def _conflicts(entry: RoundEntry, row: dict[str, str], rowno: int, header: list[str], actor: User | None,
               r: ReportingRound, round_state: str) -> list[Problem]:
    out: list[Problem] = []
    if not (is_office(actor) or own_agency(actor, entry)):
        out.append(Problem(rowno, _where(header, "agency"), f"you may not report for {entry.agency.code}"))
    if round_state != "open":
        out.append(Problem(rowno, _where(header, "entry_id"), f"round {r.id} is {round_state}"))
    if entry.state not in workflow.EDITABLE_STATES:
        out.append(Problem(rowno, _where(header, "state"), f"the entry is {entry.state} and locked"))
    if row.get("version", "").strip() != str(entry.version):
        out.append(Problem(rowno, _where(header, "version"),
                           f"conflict: the entry changed since this sheet was exported (now version {entry.version},"
                           f" the sheet has {row.get('version', '').strip() or 'none'})"))
    return out


def summary(result: ImportResult) -> dict[str, Any]:
    return {"changed": result.changed, "unchanged": result.unchanged}
