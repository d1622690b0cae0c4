"""The pure rules of an entry's life: who may do what in which state, content checks, version diffs.

No database or web imports: the service applies these rules, and they are tested directly.

    draft --save--> draft --submit--> submitted --accept--> accepted
                                        |  ^                   |
                                 return |  | submit            | return (reopen)
                                        v  |                   |
                                      returned <---------------+
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mamoru.errors import BadValue, Problem

ENTRY_STATES = ("draft", "submitted", "returned", "accepted")
EDITABLE_STATES = frozenset({"draft", "returned"})

# (action, state) -> next state; the actor kind is checked by `allowed`.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("save", "draft"): "draft",
    ("save", "returned"): "returned",
    ("submit", "draft"): "submitted",
    ("submit", "returned"): "submitted",
    ("return", "submitted"): "returned",
    ("return", "accepted"): "returned",
    ("accept", "submitted"): "accepted",
}
OFFICE_ACTIONS = frozenset({"return", "accept"})
AGENCY_ACTIONS = frozenset({"save", "submit"})


class TransitionRefused(Exception):
    pass


def next_state(action: str, state: str, *, is_coordinator: bool, own_agency: bool) -> str:
    """The state after `action`, or TransitionRefused saying why not."""
    if action in OFFICE_ACTIONS and not is_coordinator:
        raise TransitionRefused(f"only the plan office may {action} an entry")
    if action in AGENCY_ACTIONS and not (own_agency or is_coordinator):
        raise TransitionRefused("an agency officer reports on their own agency's entries only")
    nxt = TRANSITIONS.get((action, state))
    if nxt is None:
        if state in ("submitted", "accepted") and action in AGENCY_ACTIONS:
            raise TransitionRefused(f"the entry is {state} and locked until the plan office returns it")
        raise TransitionRefused(f"cannot {action} an entry that is {state}")
    return nxt


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
FIGURE_FIELDS = ("label_en", "label_ja", "value", "unit", "period")
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Content:
    """What an agency fills in: status key, bilingual narrative, figures, evidence links."""

    status: str | None
    narrative_en: str
    narrative_ja: str
    figures: list[dict[str, str]]
    evidence: list[dict[str, str]]

    def snapshot(self) -> dict[str, Any]:
        return {"status": self.status, "narrative_en": self.narrative_en, "narrative_ja": self.narrative_ja,
                "figures": self.figures, "evidence": self.evidence}


def check_content(content: Content, status_keys: set[str], row: int | None = None,
                  prefix: str = "") -> list[Problem]:
    problems: list[Problem] = []
    if content.status is not None and content.status not in status_keys:
        problems.append(Problem.of(row, f"{prefix}status", "unknown status {status!r}; choose one of {choices}",
                                   status=content.status, choices=", ".join(sorted(status_keys))))
    for name in ("narrative_en", "narrative_ja"):
        if len(getattr(content, name)) > MAX_TEXT:
            problems.append(Problem.of(row, f"{prefix}{name}", "longer than {limit} characters", limit=MAX_TEXT))
    for i, fig in enumerate(content.figures, start=1):
        if not (fig.get("label_en") or fig.get("label_ja")):
            problems.append(Problem.of(row, f"{prefix}figures", "figure {i} has no label", i=i))
        try:
            Decimal(str(fig.get("value", "")).replace(",", ""))
        except InvalidOperation:
            problems.append(Problem.of(row, f"{prefix}figures", "figure {i}: {value!r} is not a number", i=i,
                                       value=fig.get("value")))
    for i, ev in enumerate(content.evidence, start=1):
        if not _URL.match(ev.get("url", "")):
            problems.append(Problem.of(row, f"{prefix}evidence", "link {i}: {url!r} is not an http(s) address", i=i,
                                       url=ev.get("url")))
    return problems


def ready_to_submit(content: Content) -> list[Problem]:
    """A submission needs a status and a narrative in at least one language."""
    problems = []
    if not content.status:
        problems.append(Problem(None, "status", "choose a status before submitting"))
    if not (content.narrative_en.strip() or content.narrative_ja.strip()):
        problems.append(Problem(None, "narrative", "write what was done (Japanese or English) before submitting"))
    return problems


def format_figures(figures: list[dict[str, str]]) -> str:
    """Figures as one spreadsheet cell: `label_en | label_ja | value | unit | period` per line."""
    return "\n".join(" | ".join(str(f.get(k, "")) for k in FIGURE_FIELDS) for f in figures)


def parse_figures(cell: str) -> list[dict[str, str]]:
    out = []
    for line in (cell or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != len(FIGURE_FIELDS):
            raise BadValue("a figure line needs {n} parts separated by '|' ({fields}), got {got}",
                           n=len(FIGURE_FIELDS), fields=", ".join(FIGURE_FIELDS), got=len(parts))
        out.append(dict(zip(FIGURE_FIELDS, parts, strict=True)))
    return out


def format_evidence(evidence: list[dict[str, str]]) -> str:
    return "\n".join((f"{e['url']} {e['title']}".strip() if e.get("title") else e["url"]) for e in evidence)


def parse_evidence(cell: str) -> list[dict[str, str]]:
    out = []
    for line in (cell or "").splitlines():
        if line.strip():
            url, _, title = line.strip().partition(" ")
            out.append({"url": url, "title": title.strip()})
    return out


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str
    lines: list[str]  # unified diff lines for long text


def _as_text(field: str, value: Any) -> str:
    if field == "figures":
        return format_figures(value or [])
    if field == "evidence":
        return format_evidence(value or [])
    return "" if value is None else str(value)


def diff_snapshots(a: dict[str, Any], b: dict[str, Any]) -> list[FieldChange]:
    """Field-by-field differences between two kept versions of an entry."""
    changes = []
    for field in ("state", "status", "narrative_ja", "narrative_en", "figures", "evidence"):
        before, after = _as_text(field, a.get(field)), _as_text(field, b.get(field))
        if before != after:
            # a hunk's "@@ -1 +1 @@" header is for programs: people see a gap between hunks as "…"
            lines = ["…" if line.startswith("@@") else line for line in
                     difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)][2:]
            if lines[:1] == ["…"]:
                lines = lines[1:]
            changes.append(FieldChange(field, before, after, lines))
    return changes
