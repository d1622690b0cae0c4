"""Reporters' contact details: sealed at rest, opened only where an analyst views a case, and
cleared after the retention period.

A report's contact is stored in hl_reports.contact as `hlc1:<key id>:<base64url(nonce | ciphertext)>`
(AES-256-GCM; the report's receipt is bound in as associated data, so a sealed contact copied onto
another report does not open). The key file (MAMORU_HOTLINE_CONTACT_KEY, default
var/keys/contact.key) holds one key per line: the first seals, the others only open, so a key is
rotated by putting a new line first and running `seal_stored` (the hotline worker does at start).
Only hotline processes load it; a stolen database dump or backup without the file reveals no contact.

Rows stored before migration hl0002 hold plain text. They are read as they are, marked "plain",
until `seal_stored` seals them. `purge_expired` clears contacts older than the retention period and
audits how many, never which or what.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.hotline.models import HotlineCase, Report

PREFIX = "hlc1:"
ROLES_HOLDING_THE_KEY = ("all", "hotline")
_AAD = b"mamoru hl_reports.contact "


class ContactUnreadable(Exception):
    """A sealed contact that this key file cannot open (another key, or altered)."""


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


@dataclass(frozen=True)
class ContactCipher:
    """AES-256-GCM keys: keys[0] seals, every key opens what it sealed."""

    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.keys or any(len(k) != 32 for k in self.keys):
            raise ValueError("a contact key is 32 random bytes")

    @classmethod
    def generate(cls) -> ContactCipher:
        return cls((AESGCM.generate_key(bit_length=256),))

    @classmethod
    def from_file(cls, path: Path) -> ContactCipher:
        """Keys from `path` (base64url, one a line, '#' comments); a missing file is created (0600)."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
        lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        try:
            return cls(tuple(base64.urlsafe_b64decode(ln) for ln in lines))
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"{path} is not a contact key file (base64 keys of 32 bytes, one a line)") from exc

    @property
    def key_id(self) -> str:
        return _key_id(self.keys[0])

    def seal(self, receipt: str, contact: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[0]).encrypt(nonce, contact.encode("utf-8"), _AAD + receipt.encode())
        return f"{PREFIX}{self.key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, receipt: str, stored: str) -> str:
        kid, _, body = stored[len(PREFIX):].partition(":")
        key = next((k for k in self.keys if _key_id(k) == kid), None)
        if key is None:
            raise ContactUnreadable(f"sealed with key {kid}, which this key file does not hold")
        try:
            raw = base64.urlsafe_b64decode(body)
            return AESGCM(key).decrypt(raw[:12], raw[12:], _AAD + receipt.encode()).decode("utf-8")
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise ContactUnreadable("the sealed contact does not open (altered, or moved from another report)") from exc


def cipher_for_role(role: str, path: Path) -> ContactCipher:
    """The key file, for the processes that may hold it: hotline (and all-in-one) only."""
    if role not in ROLES_HOLDING_THE_KEY:
        raise PermissionError(f"a {role} process does not hold the reporters' contact key")
    return ContactCipher.from_file(path)


def seal_new(cipher: ContactCipher | None, receipt: str, contact: str) -> str:
    """What intake stores for a contact: sealed, or nothing when none was given."""
    if not contact:
        return ""
    if cipher is None:
        raise RuntimeError("a reporter's contact is never stored unsealed: intake needs the contact cipher")
    return cipher.seal(receipt, contact)


# --- reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContactView:
    """A contact as an analyst sees it. state: none, sealed, plain (stored before sealing began),
    purged (cleared after the retention period) or unreadable."""

    text: str
    state: str


def view(cipher: ContactCipher, report: Report) -> ContactView:
    stored = report.contact or ""
    if not stored:
        return ContactView("", "purged" if report.contact_purged_at is not None else "none")
    if not stored.startswith(PREFIX):
        return ContactView(stored, "plain")
    try:
        return ContactView(cipher.open(report.receipt, stored), "sealed")
    except ContactUnreadable:
        return ContactView("", "unreadable")


def reveal_for_case(session: Session, cipher: ContactCipher, case: HotlineCase, actor: User) -> dict[int, ContactView]:
    """The contacts of a case's reports, for an analyst viewing it; the read is audited (how many)."""
    views = {r.id: view(cipher, r) for r in case.reports}
    shown = sum(1 for v in views.values() if v.state in ("sealed", "plain"))
    if shown:
        audit.record_read(session, actor, "hotline:report:contact", f"hotline:case:{case.id}", {"contacts": shown})
    return views


# --- upkeep ---------------------------------------------------------------------------------------

def purge_expired(session: Session, retention_days: float, actor: User | None = None,
                  now: datetime | None = None) -> int:
    """Clear the contact of every report received more than `retention_days` ago; audit the count."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    result = session.execute(
        update(Report).where(Report.contact_kept_since < cutoff)
        .values(contact="", contact_kept_since=None, contact_purged_at=now)
        .execution_options(synchronize_session="fetch"))
    purged = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if purged:
        audit.record(session, actor, "hotline:contacts:purge", "hotline:reports",
                     {"purged": purged, "retention_days": retention_days, "received_before": cutoff.isoformat()})
    return purged


@dataclass
class SealSummary:
    sealed: int = 0  # plain rows from before sealing began
    resealed: int = 0  # rows sealed with a key that is no longer the first
    unreadable: int = 0  # sealed with a key the file does not hold: left as they are


def seal_stored(session: Session, cipher: ContactCipher, actor: User | None = None) -> SealSummary:
    """Seal plain contacts and re-seal those under an older key with the current one; audit counts.

    Only reports still holding a contact are read (those within the retention period). Each row is
    written only if its contact is still the one read, so a purge running meanwhile is not undone."""
    summary = SealSummary()
    current = f"{PREFIX}{cipher.key_id}:"
    query = (select(Report.id, Report.receipt, Report.contact)
             .where(Report.contact_kept_since.is_not(None), ~Report.contact.startswith(current, autoescape=True))
             .order_by(Report.id))
    for report_id, receipt, stored in session.execute(query).all():
        try:
            plain = stored if not stored.startswith(PREFIX) else cipher.open(receipt, stored)
        except ContactUnreadable:
            summary.unreadable += 1
            continue
        changed = session.execute(update(Report).where(Report.id == report_id, Report.contact == stored)
                                  .values(contact=cipher.seal(receipt, plain)))
        if changed.rowcount:  # type: ignore[attr-defined]
            if stored.startswith(PREFIX):
                summary.resealed += 1
            else:
                summary.sealed += 1
    if summary.sealed or summary.resealed or summary.unreadable:
        audit.record(session, actor, "hotline:contacts:seal", "hotline:reports",
                     {"sealed": summary.sealed, "resealed": summary.resealed, "unreadable": summary.unreadable,
                      "key": cipher.key_id})
    return summary
