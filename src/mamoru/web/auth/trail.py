"""An account's audit trail as its administrator reads it: each event's action in words and its
detail as "field: old → new", in the page's language.

The events keep codes and JSON (audit.record: what the chain hashes); shown raw, a Japanese
administrator read `user:edit` and {"changes": {"role": ["analyst", "senior_analyst"]}}. The
codes stay on the page (data-action), and an action without words here is shown as its code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from mamoru import audit
from mamoru.auth.roles import ROLE_LABELS
from mamoru.i18n import catalogue, gettext

FIELDS = {"role": "Role", "agency": "Agency", "agency_code": "Agency", "display_name": "Display name",
          "email": "E-mail", "name": "Name", "scopes": "Scopes", "expires_at": "Expires", "id": "Token",
          "preferred_lang": "Language"}
"""Detail keys by the interface's word for them (translated in the catalogues)."""
SKIPPED = {"created_by"}  # the "Who" column says it already


@dataclass(frozen=True)
class TrailRow:
    seq: int
    at: datetime
    actor: str
    action: str  # the code, e.g. user:edit
    label: str  # the action in words
    detail: str


def _value(lang: str, key: str, value: object) -> str:
    if value in (None, "", []):
        return "—"
    if key == "role" and isinstance(value, str) and value in ROLE_LABELS:
        return ROLE_LABELS[value][0 if lang == "en" else 1]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field(lang: str, key: str) -> str:
    return gettext(lang, FIELDS[key]) if key in FIELDS else key


def describe_detail(lang: str, detail: dict[str, object]) -> str:
    """An event's detail in words: changes as "field: old → new", other keys as "field: value"."""
    parts: list[str] = []
    changes = detail.get("changes")
    if isinstance(changes, dict):
        for key, pair in changes.items():
            old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            parts.append(f"{_field(lang, key)}: {_value(lang, key, old)} → {_value(lang, key, new)}")
    for key, value in detail.items():
        if key != "changes" and key not in SKIPPED:
            parts.append(f"{_field(lang, key)}: {_value(lang, key, value)}")
    return "; ".join(parts)


def describe(lang: str, events: list[audit.AuditEvent]) -> list[TrailRow]:
    words = catalogue(lang)
    rows = []
    for e in events:
        try:
            detail = json.loads(e.detail or "{}")
        except ValueError:
            detail = {}
        label = words.get(f"audit:{e.action}", e.action)
        rows.append(TrailRow(seq=e.seq, at=e.at, actor=e.actor, action=e.action, label=label,
                             detail=describe_detail(lang, detail) if isinstance(detail, dict) else str(detail)))
    return rows
