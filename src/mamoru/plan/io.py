"""Import and export of a plan's full measure list as CSV, XLSX or YAML.

Rows are matched on the measure's stable id, so a spreadsheet round trip keeps ids while codes and
origins can be corrected. The `successions` column records, per assignment, which agency succession
applies (see `plan.successions`); a file without that column leaves recorded successions alone. A
file is validated whole before anything is written: one bad row and
nothing of the file is imported, and every problem is reported with its row, field and reason.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, PermissionDenied, Problem, Term
from mamoru.plan import successions as succ
from mamoru.plan.models import (
    LINEAGE_KINDS,
    Agency,
    AgencySuccession,
    Measure,
    MeasureAssignment,
    MeasureLineage,
    Plan,
)
from mamoru.plan.service import amend_measure, plan_pillars, validate_measure_values
from mamoru.xlsx import csv_dict, restore_cell

COLUMNS = ["id", "code", "pillar", "title_en", "title_ja", "description_en", "description_ja",
           "origin", "main", "agencies", "lead", "lineage", "predecessors", "successions"]
REQUIRED = {"code", "pillar", "title_en", "agencies"}
FORMATS = ("csv", "xlsx", "yaml")
MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_TRUE = {"true", "yes", "1", "y", "main", "○", "はい"}
_FALSE = {"false", "no", "0", "n", "", "いいえ"}


def export_rows(session: Session, plan: Plan) -> list[dict[str, str]]:
    rows = []
    for p in plan_pillars(session, plan):
        for m in p.measures:
            lead = [a.agency.code for a in m.assignments if a.role == "lead"]
            rows.append({
                "id": m.uid, "code": m.code, "pillar": str(p.number), "title_en": m.title_en,
                "title_ja": m.title_ja, "description_en": m.description_en, "description_ja": m.description_ja,
                "origin": m.origin, "main": "true" if m.main else "false",
                "agencies": ";".join(a.agency.code for a in m.assignments), "lead": ";".join(lead),
                "lineage": m.lineage[0].kind if m.lineage else "",
                "predecessors": ";".join(x.predecessor.uid for x in m.lineage if x.predecessor is not None),
                "successions": succ.format_column(m),
            })
    return rows


def write_rows(rows: list[dict[str, str]], fmt: str) -> bytes:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(csv_dict(r) for r in rows)  # no cell a spreadsheet program would run (mamoru.xlsx)
        return buf.getvalue().encode("utf-8")
    if fmt == "yaml":
        doc = {"format": "mamoru-measures/1", "measures": [
            {**r, "pillar": int(r["pillar"]), "main": r["main"] == "true",
             "agencies": [c for c in r["agencies"].split(";") if c],
             "lead": [c for c in r["lead"].split(";") if c],
             "predecessors": [c for c in r["predecessors"].split(";") if c],
             "successions": dict(p.split("=", 1) for p in r["successions"].split(";") if p)} for r in rows]}
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        from mamoru.xlsx import append_row

        wb = Workbook()
        ws = wb.active
        ws.title = "measures"
        ws.append(COLUMNS)
        for r in rows:
            append_row(ws, [r[c] for c in COLUMNS])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise InvalidInput(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    ext = path.suffix.lower().lstrip(".")
    ext = "yaml" if ext == "yml" else ext
    if ext not in FORMATS:
        raise InvalidInput(f"cannot tell the format of {path.name}; pass --format csv|xlsx|yaml")
    return ext


def read_rows(data: bytes, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """Parse a file into (row number, values) pairs; row numbers are what a user sees in the file."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if fmt == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"file is not UTF-8 text (byte {exc.start})") from exc
        reader = csv.DictReader(io.StringIO(text))
        try:
            _check_header(reader.fieldnames or [])
            return [(i, {k: restore_cell(v) if isinstance(v, str) else v for k, v in r.items()})
                    for i, r in enumerate(reader, start=2)]
        except csv.Error as exc:  # a stray carriage return or NUL: say where instead of failing with 500
            raise InvalidInput(f"row {reader.line_num}: not readable as CSV ({exc})") from exc
    if fmt == "xlsx":
        from mamoru.xlsx import SpreadsheetRefused, read_sheet

        try:  # zip bombs, entities and padded dimensions refused before openpyxl reads (mamoru.xlsx)
            it = iter(read_sheet(data))
        except SpreadsheetRefused as exc:
            raise InvalidInput(str(exc)) from exc
        header = [str(c).strip() if c is not None else "" for c in next(it, [])]
        _check_header(header)
        out = []
        for i, cells in enumerate(it, start=2):
            if all(c is None or str(c).strip() == "" for c in cells):
                continue
            out.append((i, {h: ("" if c is None else c) for h, c in zip(header, cells, strict=False) if h}))
        return out
    if fmt == "yaml":
        try:
            doc = yaml.safe_load(data.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"not readable YAML: {exc}") from exc
        items = doc.get("measures") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise InvalidInput("YAML must hold a list `measures`")
        out = []
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise InvalidInput([Problem(i, "measure", "must be a mapping")])
            item = dict(item)
            for k in ("agencies", "lead", "predecessors"):
                if isinstance(item.get(k), list):
                    item[k] = ";".join(str(x) for x in item[k])
            out.append((i, item))
        return out
    raise InvalidInput(f"unknown format {fmt!r}")


def _check_header(header: Iterable[str]) -> None:
    missing = REQUIRED - set(header)
    if missing:
        raise InvalidInput([Problem(1, c, "required column is missing") for c in sorted(missing)])


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    reassigned: list[str] = field(default_factory=list)
    successions: list[str] = field(default_factory=list)
    unchanged: int = 0
    changed: dict[str, list[str]] = field(default_factory=dict)
    """Stable id -> what the import changes of that measure (fields, "agencies", "successions")."""


@dataclass
class _Row:
    number: int
    uid: str | None
    values: dict[str, Any]
    pillar: int
    agencies: list[str]
    lead: list[str]
    lineage: str
    predecessors: list[str]
    successions: dict[str, str] | None  # None: the file has no successions column; keep what is recorded


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _validate(session: Session, plan: Plan, rows: list[tuple[int, dict[str, Any]]]) -> list[_Row]:
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"more than {MAX_ROWS} rows")
    problems: list[Problem] = []
    known = {a.code for a in session.scalars(select(Agency))}
    pillars = {p.number for p in plan_pillars(session, plan)}
    existing = {m.uid: m for m in session.scalars(select(Measure))}
    known_successions = succ.known(session)
    seen_ids: dict[str, int] = {}
    seen_codes: dict[str, int] = {}
    out: list[_Row] = []
    for n, raw in rows:
        before = len(problems)
        uid = _s(raw.get("id")) or None
        if uid is not None:
            if not _ID.match(uid):
                problems.append(Problem(n, "id", "must be lower-case letters, digits and '-' (2-63)"))
            elif uid in seen_ids:
                problems.append(Problem.of(n, "id", "repeats row {first}", first=seen_ids[uid]))
            elif uid in existing and existing[uid].plan_id != plan.id:
                problems.append(Problem(n, "id", "belongs to another plan"))
            seen_ids[uid] = n
        code = _s(raw.get("code"))
        if code in seen_codes:
            problems.append(Problem.of(n, "code", "repeats row {first}", first=seen_codes[code]))
        seen_codes[code] = n
        pillar_s = _s(raw.get("pillar"))
        pillar = int(pillar_s) if pillar_s.isdigit() else -1
        if pillar not in pillars:
            problems.append(Problem.of(n, "pillar", "must be a pillar number of this plan ({pillars})",
                                       pillars=", ".join(map(str, sorted(pillars))) or "—"))
        agencies = [c.strip().upper() for c in re.split(r"[;,、]", _s(raw.get("agencies"))) if c.strip()]
        if not agencies:
            problems.append(Problem(n, "agencies", "at least one agency code is needed"))
        for c in agencies:
            if c not in known:
                problems.append(Problem.of(n, "agencies", "unknown agency code {code}", code=repr(c)))
        if len(set(agencies)) != len(agencies):
            problems.append(Problem(n, "agencies", "an agency is listed twice"))
        lead = [c.strip().upper() for c in re.split(r"[;,]", _s(raw.get("lead"))) if c.strip()]
        for c in lead:
            if c not in agencies:
                problems.append(Problem.of(n, "lead", "{code} is not among the measure's agencies", code=c))
        main_s = _s(raw.get("main")).lower() if not isinstance(raw.get("main"), bool) else str(raw["main"]).lower()
        if main_s not in _TRUE | _FALSE:
            problems.append(Problem(n, "main", "must be true or false"))
        values: dict[str, Any] = {
            "code": code, "title_en": _s(raw.get("title_en")), "title_ja": _s(raw.get("title_ja")),
            "description_en": _s(raw.get("description_en")), "description_ja": _s(raw.get("description_ja")),
            "origin": _s(raw.get("origin")) or "unknown", "main": main_s in _TRUE,
        }
        problems.extend(validate_measure_values(values, row=n))
        lineage = _s(raw.get("lineage")).lower()
        preds = [c.strip() for c in re.split(r"[;,]", _s(raw.get("predecessors"))) if c.strip()]
        problems.extend(_check_lineage(n, lineage, preds, existing, plan))
        successions = _check_successions(n, raw, agencies, known_successions, problems)
        if len(problems) == before:
            out.append(_Row(n, uid, values, pillar, agencies, lead, lineage, preds, successions))
    # A code must not collide with a measure of the plan that the file does not mention.
    file_ids = {r.uid for r in out if r.uid}
    for m in existing.values():
        if m.plan_id == plan.id and m.uid not in file_ids and m.code in seen_codes:
            problems.append(Problem.of(seen_codes[m.code], "code", "already used by measure {measure}", measure=m.uid))
    if problems:
        raise InvalidInput(problems)
    return out


def _check_successions(n: int, raw: dict[str, Any], agencies: list[str],
                       known: dict[str, AgencySuccession], problems: list[Problem]) -> dict[str, str] | None:
    if succ.COLUMN not in raw:
        return None
    parsed, bad = succ.parse_column(raw[succ.COLUMN], n)
    problems.extend(bad)
    for code, key in parsed.items():
        problems.extend(succ.check(n, code, key, agencies, known))
    return parsed


def _kind(kind: str) -> Term:
    """A lineage kind as a message value: the code in English, its label on a page."""
    return Term(kind, f"lineage:{kind}")


def _check_lineage(n: int, kind: str, preds: list[str], existing: dict[str, Measure], plan: Plan) -> list[Problem]:
    if not kind and not preds:
        return []
    if kind not in LINEAGE_KINDS or kind == "dropped":
        return [Problem.of(n, "lineage", "must be one of {kinds}", kinds=", ".join(k for k in LINEAGE_KINDS if k != "dropped"))]
    problems = []
    if kind == "new" and preds:
        problems.append(Problem(n, "predecessors", "a new measure has no predecessor"))
    if kind != "new" and not preds:
        problems.append(Problem.of(n, "predecessors", "a {kind} measure names its predecessor", kind=_kind(kind)))
    if kind == "merged" and len(preds) < 2:
        problems.append(Problem(n, "predecessors", "a merged measure names at least two predecessors"))
    if kind in ("unchanged", "revised", "split") and len(preds) > 1:
        problems.append(Problem.of(n, "predecessors", "a {kind} measure has one predecessor", kind=_kind(kind)))
    for p in preds:
        if p not in existing:
            problems.append(Problem.of(n, "predecessors", "no measure {measure}", measure=repr(p)))
        elif existing[p].plan_id == plan.id:
            problems.append(Problem.of(n, "predecessors", "{measure} belongs to this plan, not to the one it revises",
                                       measure=p))
    return problems


def import_measures(session: Session, plan: Plan, rows: list[tuple[int, dict[str, Any]]],
                   actor: User | None, reason: str) -> ImportResult:
    """Validate every row, then apply all of them in one savepoint: all or nothing."""
    if actor is not None and not roles.can_edit_plan_text(actor.role):
        raise PermissionDenied("only the plan office (coordinator) imports measures")
    valid = _validate(session, plan, rows)
    pillars = {p.number: p for p in plan_pillars(session, plan)}
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    existing = {m.uid: m for m in session.scalars(select(Measure).where(Measure.plan_id == plan.id))}
    known_successions = succ.known(session)
    result = ImportResult()
    with session.begin_nested():
        positions: dict[int, int] = {}
        for r in valid:
            positions[r.pillar] = positions.get(r.pillar, 0) + 1
            m = existing.get(r.uid or "")
            if m is None:
                m = _create(session, plan, pillars[r.pillar], r, (agencies, known_successions), positions[r.pillar], actor)
                result.created.append(m.uid)
                continue
            changes = amend_measure(session, m, actor, r.values, reason)
            if m.pillar_id != pillars[r.pillar].id:
                m.pillar_id = pillars[r.pillar].id
                changes["pillar"] = [None, r.pillar]
            m.position = positions[r.pillar]
            if _set_lineage(session, m, r):
                changes["lineage"] = [None, r.lineage]
                audit.record(session, actor, "measure:lineage:set", f"measure:{m.uid}",
                             {"kind": r.lineage, "predecessors": r.predecessors})
            if _reassign(m, r, agencies):
                result.reassigned.append(m.uid)
                audit.record(session, actor, "measure:agencies:set", f"measure:{m.uid}", {"agencies": r.agencies, "lead": r.lead})
            moved = succ.apply(m, r.successions, known_successions) if r.successions is not None else {}
            if moved:
                result.successions.append(m.uid)
                audit.record(session, actor, "measure:succession:set", f"measure:{m.uid}",
                             {"changes": moved, "reason": reason})
            if changes:
                result.amended.append(m.uid)
            elif m.uid not in result.reassigned and not moved:
                result.unchanged += 1
            what = [*changes, *(["agencies"] if m.uid in result.reassigned else []), *(["successions"] if moved else [])]
            if what:
                result.changed[m.uid] = what
        session.flush()
        if result.created or result.amended or result.reassigned or result.successions:
            audit.record(session, actor, "plan:import", f"plan:{plan.key}", {
                "created": len(result.created), "amended": len(result.amended), "reassigned": len(result.reassigned),
                "successions": len(result.successions)})
    return result


def _create(session: Session, plan: Plan, pillar: Any, r: _Row,
            known: tuple[dict[str, Agency], dict[str, AgencySuccession]], pos: int, actor: User | None) -> Measure:
    agencies, successions = known
    uid = r.uid or f"m-{secrets.token_hex(4)}"
    m = Measure(uid=uid, plan_id=plan.id, pillar_id=pillar.id, position=pos, code_provisional=False, **r.values)
    for i, c in enumerate(r.agencies, start=1):
        key = (r.successions or {}).get(c)
        m.assignments.append(MeasureAssignment(agency=agencies[c], position=i, role="lead" if c in r.lead else None,
                                               succession=successions[key] if key else None))
    session.add(m)
    session.flush()
    _set_lineage(session, m, r)
    audit.record(session, actor, "measure:create", f"measure:{uid}",
                 {"code": m.code, "agencies": r.agencies, "successions": r.successions or {}})
    return m


def _set_lineage(session: Session, m: Measure, r: _Row) -> bool:
    current = ([x.kind for x in m.lineage][:1], sorted(x.predecessor.uid for x in m.lineage if x.predecessor))
    wanted = ([r.lineage] if r.lineage else [], sorted(r.predecessors))
    if current == wanted:
        return False
    m.lineage[:] = []
    session.flush()
    if r.lineage:
        preds = {x.uid: x for x in session.scalars(select(Measure).where(Measure.uid.in_(r.predecessors)))}
        if r.lineage == "new":
            m.lineage.append(MeasureLineage(kind="new"))
        for uid in r.predecessors:
            m.lineage.append(MeasureLineage(kind=r.lineage, predecessor=preds[uid]))
    return True


def _reassign(m: Measure, r: _Row, agencies: dict[str, Agency]) -> bool:
    current = [(a.agency.code, a.role) for a in m.assignments]
    wanted = [(c, "lead" if c in r.lead else None) for c in r.agencies]
    if current == wanted:
        return False
    keep = {a.agency.code: a for a in m.assignments}
    m.assignments[:] = []
    for i, c in enumerate(r.agencies, start=1):
        a = keep.get(c) or MeasureAssignment(agency=agencies[c])
        a.position = i
        a.role = "lead" if c in r.lead else None
        m.assignments.append(a)
    return True
