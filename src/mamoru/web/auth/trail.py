"""The audit log as people read it: each event's kind in words and its detail as "field: value"
pairs (a change as "field: old → new"), in the page's language.

The events keep codes and JSON (audit.record: what the chain hashes); shown raw, a Japanese reader
met `blocklist:entry:confirm` and {"changes": {"role": ["analyst", "senior_analyst"]}}. Every kind
mamoru writes has words in the catalogues under "audit:<kind>" and every field of a detail its word
here (tests/unit/web/test_audit_words.py reads both from the source); the codes stay on the page for
auditors (data-action, and the kind under its words). A kind or field without words shows its code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from mamoru import audit
from mamoru.auth.roles import ROLE_LABELS
from mamoru.i18n import LANGUAGE_NAMES, catalogue, gettext

FIELDS = {
    "accepted": "Accepted", "active": "Active", "added": "Added", "agencies": "Agencies", "agency": "Agency",
    "agency_code": "Agency", "algorithm": "Algorithm", "amended": "Amended", "appeal": "Appeal",
    "assessment": "Assessment", "bank": "Bank", "bank_id": "Bank", "banks": "Banks", "bodies": "Bodies",
    "by_signal": "By signal type", "capability": "Capability", "case_ref": "Hotline case", "category": "Category",
    "chair": "Chair", "changed": "Changed", "changes": "Changes", "check": "Removal check", "code": "Code",
    "comment": "Comment", "contacts": "Contacts shown", "corrects": "Corrects", "count": "Reports",
    "country": "Country", "created": "Created", "created_by": "Created by", "criteria": "Listing criteria",
    "display_name": "Display name", "drained": "Taken from the inbox", "due_after": "New due date",
    "due_before": "Previous due date", "due_on": "Due date", "email": "E-mail", "entitlement": "Entitlement",
    "entries": "Number of entries", "entry": "Entry", "erratum": "Erratum", "error": "Error",
    "expires_at": "Expires", "failures": "Failures", "fields": "Fields", "first": "First receipt",
    "fiscal_years": "Fiscal years", "format": "Format", "from": "Before", "hashes": "Hashes",
    "hold": "Hold", "id": "Record number", "implemented": "Implemented", "key": "Key", "key_id": "Key id",
    "kind": "Kind", "lead": "Lead agency", "links": "Links", "mapped": "Mapped", "measure": "Measure",
    "meeting": "Meeting", "name": "Name", "network": "Network", "offered": "Offered", "outcome": "Outcome",
    "owner": "Owner", "partner": "Partner", "period": "Period", "phase": "Phase", "preferred_lang": "Language", "police_unit": "Police unit",
    "predecessors": "Predecessors", "prefecture": "Prefecture", "previous": "Previous", "progress": "Progress",
    "provider": "Provider", "published": "Published", "purged": "Purged", "reappearances": "Reappearances",
    "reason": "Reason", "reassigned": "Reassigned", "received_before": "Received before",
    "reference": "Police reference", "removed_at": "Removed at", "renamed": "Renamed", "resealed": "Resealed",
    "retention_days": "Retention (days)", "retired": "Retired key", "role": "Role", "route": "Route",
    "rows": "Rows", "scopes": "Scopes", "sealed": "Sealed", "secretariat": "Secretariat", "seen_at": "Seen at",
    "sha256": "SHA-256", "show_labels": "Labels shown", "source": "Source", "status": "Status",
    "successions": "Successions", "to": "After", "total": "Total", "unchanged": "Unchanged",
    "unreadable": "Unreadable", "url": "URL", "value": "Value", "verdict": "Verdict", "version": "Version",
    "was": "Was", "why": "Why",
}
"""Detail keys by the interface's word for them (translated in the catalogues)."""
BY_KIND = {"token:create": {"id": "Token"}, "token:revoke": {"id": "Token"}, "hotline:case:assign": {"to": "Assigned to"},
           "hotline:case:notice_sent": {"to": "Sent to"}, "hotline:case:police-alert": {"to": "Sent to"}}
"""A key that means something else in one kind of event."""
SKIPPED = {"created_by"}  # the "Who" column says it already


@dataclass(frozen=True)
class TrailRow:
    seq: int
    at: datetime
    actor: str
    action: str  # the code, e.g. user:edit
    label: str  # the action in words
    target: str
    pairs: list[tuple[str, str]]  # the detail, field by field, in words

    @property
    def detail(self) -> str:
        return "; ".join(f"{field}: {value}" for field, value in self.pairs)


def _value(lang: str, key: str, value: object) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return gettext(lang, "yes" if value else "no")
    if key == "role" and isinstance(value, str) and value in ROLE_LABELS:
        return ROLE_LABELS[value][0 if lang == "en" else 1]
    if key == "preferred_lang" and value in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[str(value)]
    if isinstance(value, list):
        return ", ".join(_value(lang, key, v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(lang, str(k), v)}" for k, v in value.items())
    return str(value)


def _field(lang: str, key: str, kind: str = "") -> str:
    word = BY_KIND.get(kind, {}).get(key) or FIELDS.get(key)
    return gettext(lang, word) if word else key


def detail_pairs(lang: str, detail: dict[str, object], kind: str = "") -> list[tuple[str, str]]:
    """An event's detail in words: changes as ("field", "old → new"), other keys as ("field", "value")."""
    pairs: list[tuple[str, str]] = []
    changes = detail.get("changes")
    if isinstance(changes, dict):
        for key, pair in changes.items():
            old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            pairs.append((_field(lang, key, kind), f"{_value(lang, key, old)} → {_value(lang, key, new)}"))
    for key, value in detail.items():
        if key in SKIPPED or (key == "changes" and isinstance(changes, dict)):
            continue
        if isinstance(value, dict) and value:  # a value per format, per signal type: one line each
            pairs += [(f"{_field(lang, key, kind)} ({k})", _value(lang, str(k), v)) for k, v in value.items()]
        else:
            pairs.append((_field(lang, key, kind), _value(lang, key, value)))
    return pairs


def describe_detail(lang: str, detail: dict[str, object]) -> str:
    """An event's detail in one line: "field: old → new; field: value"."""
    return "; ".join(f"{field}: {value}" for field, value in detail_pairs(lang, detail))


def label(lang: str, action: str) -> str:
    return catalogue(lang).get(f"audit:{action}", action)


def describe(lang: str, events: list[audit.AuditEvent]) -> list[TrailRow]:
    rows = []
    for e in events:
        try:
            detail = json.loads(e.detail or "{}")
        except ValueError:
            detail = {}
        pairs = detail_pairs(lang, detail, e.action) if isinstance(detail, dict) else [("", str(detail))]
        rows.append(TrailRow(seq=e.seq, at=e.at, actor=e.actor, action=e.action, label=label(lang, e.action),
                             target=e.target, pairs=pairs))
    return rows
