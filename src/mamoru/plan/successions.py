"""Agency successions recorded per measure assignment.

A succession can be partial (only MHLW's child-related measures moved to the Children and Families
Agency), so it is not applied to every assignment of the predecessor: the plan office records it on
the assignments it covers. This module reads and writes the import column that carries them
(`MHLW=mhlw-children-to-cfa-2023;NPSC=coordination-to-cfa-2023`), checks them, and records one on a
single assignment (API and CLI).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, PermissionDenied, Problem
from mamoru.plan.models import AgencySuccession, Measure

COLUMN = "successions"
_PAIR = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,15})\s*=\s*([a-z0-9][a-z0-9-]{0,63})$")


def format_column(measure: Measure) -> str:
    """The column's text for a measure: AGENCY=succession-key pairs in the plan's order, `;` between."""
    return ";".join(f"{a.agency.code}={a.succession.key}" for a in measure.assignments if a.succession)


def parse_column(value: Any, row: int) -> tuple[dict[str, str], list[Problem]]:
    """Parse the column (text, or a YAML mapping) into {agency code: succession key}."""
    if isinstance(value, dict):
        value = ";".join(f"{k}={v}" for k, v in value.items())
    text = "" if value is None else str(value).strip()
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        m = _PAIR.match(part)
        if m is None:
            problems.append(Problem(row, COLUMN, f"{part!r} is not AGENCY=succession-key"))
            continue
        code = m.group(1).upper()
        if code in out:
            problems.append(Problem(row, COLUMN, f"{code} is given two successions"))
        out[code] = m.group(2)
    return out, problems


def known(session: Session) -> dict[str, AgencySuccession]:
    return {x.key: x for x in session.scalars(select(AgencySuccession))}


def check(row: int | None, agency: str, key: str, agencies: list[str], successions: dict[str, AgencySuccession],
          field: str = COLUMN) -> list[Problem]:
    """Why `key` cannot be recorded on the assignment of `agency` (empty when it can)."""
    if agency not in agencies:
        return [Problem(row, field, f"{agency} is not among the measure's agencies")]
    succ = successions.get(key)
    if succ is None:
        offered = sorted(k for k, x in successions.items() if x.predecessor.code == agency)
        hint = f" (for {agency}: {', '.join(offered)})" if offered else f" (none is recorded for {agency})"
        return [Problem(row, field, f"no succession {key!r}{hint}")]
    if succ.predecessor.code != agency:
        return [Problem(row, field, f"succession {key} moves functions of {succ.predecessor.code}, not of {agency}")]
    return []


def apply(measure: Measure, wanted: dict[str, str], successions: dict[str, AgencySuccession]) -> dict[str, list[str | None]]:
    """Set each assignment's succession to `wanted` (absent: none); returns {agency: [old, new]} changed."""
    changes: dict[str, list[str | None]] = {}
    for a in measure.assignments:
        old = a.succession.key if a.succession else None
        new = wanted.get(a.agency.code)
        if old != new:
            a.succession = successions[new] if new else None
            changes[a.agency.code] = [old, new]
    return changes


def set_succession(session: Session, measure: Measure, agency_code: str, key: str | None,
                   actor: User | None, reason: str) -> list[str | None] | None:
    """Record (or, with key None, clear) the succession on one assignment: plan office only, with a reason.

    Returns [old, new] when something changed, None when the assignment already had it.
    """
    if actor is not None and not roles.can_edit_plan_text(actor.role):
        raise PermissionDenied("only the plan office (coordinator) records successions")
    code = agency_code.strip().upper()
    codes = [a.agency.code for a in measure.assignments]
    successions = known(session)
    problems: list[Problem] = []
    if code not in codes:
        problems.append(Problem(None, "agency", f"{code} is not among the measure's agencies ({', '.join(codes)})"))
    elif key is not None:
        problems.extend(check(None, code, key, codes, successions, "succession"))
    if not (reason or "").strip():
        problems.append(Problem(None, "reason", "a change needs a reason"))
    if problems:
        raise InvalidInput(problems)
    wanted = {a.agency.code: a.succession.key for a in measure.assignments if a.succession}
    wanted.pop(code, None)
    if key:
        wanted[code] = key
    changes = apply(measure, wanted, successions)
    if not changes:
        return None
    audit.record(session, actor, "measure:succession:set", f"measure:{measure.uid}",
                 {"agency": code, "from": changes[code][0], "to": changes[code][1], "reason": reason.strip()})
    session.flush()
    return changes[code]
