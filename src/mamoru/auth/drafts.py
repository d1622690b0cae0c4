"""Form drafts: what a staff member typed, kept for a few minutes when the form could not take it
at once (their session had ended, or a field did not parse), so that the form comes back filled.

The fields are sealed (AES-GCM) with a key derived from a random draft key that only the
browser holds (in a cookie); the database keeps the key's SHA-256 and the ciphertext. So another
process's database user, a backup or a dump cannot read what was typed. A draft is taken once: the
page that shows it deletes it. It never holds a password, a CSRF token or a file (the caller passes
text fields only), and a draft of a signed-in user is shown to that user only.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mamoru.auth.models import FormDraft
from mamoru.db import utcnow

KEEP_FOR = timedelta(minutes=30)
"""How long a draft waits for its user to sign in again and come back to the form."""
FIELD_MAX = 64 * 1024
TOTAL_MAX = 256 * 1024
"""Characters kept of one field and of all fields together; a field beyond is not kept (its name is
in `dropped`, and the page says so)."""
NEVER_KEPT = ("csrf_token", "password")


@dataclass(frozen=True)
class Draft:
    """A form's input: the page that shows the form, the path the form posts to, the values by
    field name (in the order sent), the fields not kept for their size, and problems to show."""

    page: str
    action: str
    values: dict[str, list[str]]
    dropped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def text_fields(items: list[tuple[str, object]]) -> tuple[dict[str, list[str]], list[str]]:
    """The text fields of a posted form worth keeping, and the names of those too large to keep:
    never a password or the CSRF token, never a file (anything that is not a str)."""
    values: dict[str, list[str]] = {}
    dropped: list[str] = []
    total = 0
    for name, value in items:
        if not isinstance(value, str) or name in NEVER_KEPT or "password" in name:
            continue
        if len(value) > FIELD_MAX or total + len(value) > TOTAL_MAX:
            if name not in dropped:
                dropped.append(name)
            continue
        total += len(value)
        values.setdefault(name, []).append(value)
    return values, dropped


def _hash(key: str) -> str:
    return hashlib.sha256(f"draft-id:{key}".encode()).hexdigest()


def _cipher(key: str) -> AESGCM:
    return AESGCM(hashlib.sha256(f"draft-seal:{key}".encode()).digest())


def keep(session: Session, draft: Draft, user_id: int | None) -> str:
    """Store `draft` (for `user_id`, or for whoever signs in with the key when the session had
    ended) and return the random key that opens it. Expired drafts are deleted here."""
    now = utcnow()
    session.execute(delete(FormDraft).where(FormDraft.expires_at <= now))
    key = secrets.token_urlsafe(32)
    nonce = secrets.token_bytes(12)
    plain = json.dumps({"page": draft.page, "action": draft.action, "values": draft.values,
                        "dropped": draft.dropped, "problems": draft.problems}).encode()
    session.add(FormDraft(key_hash=_hash(key), user_id=user_id, created_at=now, expires_at=now + KEEP_FOR,
                          sealed=nonce + _cipher(key).encrypt(nonce, plain, None)))
    session.flush()
    return key


def take(session: Session, key: str, user_id: int, page_path: str) -> Draft | None:
    """The draft opened by `key` if it is live, is this user's (or nobody's yet) and belongs to the
    page at `page_path`; it is deleted then (shown once). Anything else: None, and nothing changes."""
    row = session.scalar(select(FormDraft).where(FormDraft.key_hash == _hash(key)))
    if row is None or row.expires_at <= utcnow() or row.user_id not in (None, user_id):
        return None
    try:
        data = json.loads(_cipher(key).decrypt(row.sealed[:12], row.sealed[12:], None))
    except (InvalidTag, ValueError):
        return None
    draft = Draft(page=str(data["page"]), action=str(data["action"]),
                  values={str(k): [str(x) for x in v] for k, v in data["values"].items()},
                  dropped=[str(x) for x in data["dropped"]], problems=[str(x) for x in data["problems"]])
    if draft.page.split("?", 1)[0] != page_path:
        return None
    session.delete(row)
    return draft
