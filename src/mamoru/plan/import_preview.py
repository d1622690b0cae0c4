"""What importing a measure list would do, before it is done: the web page's preview and
`mamoru plan import --dry-run`.

The preview runs the import itself (mamoru.plan.io.import_measures, the one implementation the
command line and the web share) inside a savepoint that is always rolled back, and describes what it
did: the measures it adds, those it changes and how, each with its lineage (the previous plan's
measures it continues), and the rows it refuses with their reason. Because the import checks a
file whole, one refused row means nothing of the file would be imported. The confirming step sends
the preview's digest back; if the plan changed in between, the import's outcome differs, and the
confirmation is refused instead of importing something the user did not see.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mamoru.auth.models import User
from mamoru.errors import Conflict, InvalidInput, Problem
from mamoru.plan.io import ImportResult, import_measures
from mamoru.plan.models import Measure, MeasureLineage, Plan


@dataclass(frozen=True)
class PreviewMeasure:
    """One measure the import adds or changes, as the preview shows it."""

    uid: str
    code: str
    title_en: str
    title_ja: str
    changes: tuple[str, ...] = ()  # what changes of an existing measure (fields, agencies, successions)
    lineage: str = ""  # unchanged, revised, split, merged, new; empty when the row gives none
    predecessors: tuple[str, ...] = ()  # stable ids of the previous plan's measures it continues


@dataclass
class ImportPreview:
    plan_key: str
    rows: int
    added: list[PreviewMeasure] = field(default_factory=list)
    changed: list[PreviewMeasure] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    unchanged: int = 0

    @property
    def importable(self) -> bool:
        """Whether confirming would import the file (a file is imported whole or not at all)."""
        return not self.refused and bool(self.added or self.changed)

    def digest(self) -> str:
        """What the import would do, as a short fingerprint (new measures by code: their ids are
        made up when the file gives none)."""
        doc = {"plan": self.plan_key, "added": [(m.code, m.lineage, m.predecessors) for m in self.added],
               "changed": [(m.uid, m.changes, m.lineage, m.predecessors) for m in self.changed],
               "refused": [str(p) for p in self.refused], "unchanged": self.unchanged}
        return hashlib.sha256(json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]

    def lines(self) -> list[str]:
        """The preview as plain lines (the command line's --dry-run)."""
        out = [f"{self.rows} rows: {len(self.added)} to add, {len(self.changed)} to change, "
               f"{self.unchanged} unchanged, {len(self.refused)} refused"]
        out += [f"  add {m.code} {m.title_ja or m.title_en}{_lineage(m)}" for m in self.added]
        out += [f"  change {m.uid} ({m.code}): {', '.join(m.changes)}{_lineage(m)}" for m in self.changed]
        out += [f"  refused {p}" for p in self.refused]
        return out


def _lineage(m: PreviewMeasure) -> str:
    return f" [{m.lineage}{': ' + ', '.join(m.predecessors) if m.predecessors else ''}]" if m.lineage else ""


def _described(m: Measure, changes: tuple[str, ...] = ()) -> PreviewMeasure:
    return PreviewMeasure(m.uid, m.code, m.title_en, m.title_ja, changes, m.lineage[0].kind if m.lineage else "",
                          tuple(sorted(x.predecessor.uid for x in m.lineage if x.predecessor is not None)))


def _measures(session: Session, uids: list[str]) -> dict[str, Measure]:
    stmt = (select(Measure).where(Measure.uid.in_(uids))
            .options(selectinload(Measure.lineage).selectinload(MeasureLineage.predecessor)))
    return {m.uid: m for m in session.execute(stmt.execution_options(populate_existing=True)).scalars()}


def preview_import(session: Session, plan: Plan, rows: list[tuple[int, dict[str, Any]]], actor: User | None,
                   reason: str) -> ImportPreview:
    """Run the import in a savepoint, describe what it did, and roll it back: nothing is kept."""
    out = ImportPreview(plan.key, len(rows))
    savepoint = session.begin_nested()
    try:
        result: ImportResult = import_measures(session, plan, rows, actor, reason)
        found = _measures(session, [*result.created, *result.changed])
        out.added = sorted((_described(found[u]) for u in result.created), key=lambda m: m.code)
        out.changed = [_described(found[u], tuple(result.changed[u])) for u in result.changed]
        out.unchanged = result.unchanged
    except InvalidInput as exc:
        out.refused = list(exc.problems)
    finally:
        savepoint.rollback()
    session.expire_all()  # what the rolled-back import loaded is read again from the database
    return out


def confirm_import(session: Session, plan: Plan, rows: list[tuple[int, dict[str, Any]]], actor: User | None,
                   reason: str, expected: str) -> ImportResult:
    """Import what the preview with digest `expected` showed; 409 (nothing imported) when the import
    would now do something else (the plan changed since the preview, or another file was sent)."""
    seen = preview_import(session, plan, rows, actor, reason)
    if seen.digest() != expected:
        raise Conflict("the measure list or the plan changed since the preview: preview the file again")
    if seen.refused:
        raise InvalidInput(seen.refused)
    return import_measures(session, plan, rows, actor, reason)
