"""Reporters' contact details: sealed at rest, opened only where an analyst views a case, and
cleared after the retention period.

A report's contact is stored in hl_reports.contact sealed (hotline/contact_keys.py): `hlc2:` sealed
boxes to the hotline's X25519 public key (the public intake seals with the public key alone), or
`hlc1:` AES-256-GCM from before sealed boxes; the report's receipt is bound in either way, so a
sealed contact copied onto another report does not open. The key file (MAMORU_HOTLINE_CONTACT_KEY,
default var/keys/contact.key) holds one key per line: the first seals, the others only open, so a
key is rotated by putting a new line first and running `seal_stored` (the hotline worker does at
start). Only hotline processes load it; a stolen database dump or backup without the file reveals
no contact.

Rows stored before migration hl0002 hold plain text. They are read as they are, marked "plain",
until `seal_stored` seals them. `purge_expired` clears contacts older than the retention period and
audits how many, never which or what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.hotline.contact_keys import (  # noqa: F401  (the keys live there; callers import them from here too)
    PREFIXES,
    ROLES_HOLDING_THE_KEY,
    ContactCipher,
    ContactSealer,
    ContactUnreadable,
    Sealer,
    cipher_for_role,
    is_sealed,
    sealer_for_role,
)
from mamoru.hotline.models import HotlineCase, Report


def seal_new(sealer: Sealer | None, receipt: str, contact: str) -> str:
    """What intake stores for a contact: sealed, or nothing when none was given."""
    if not contact:
        return ""
    if sealer is None:
        raise RuntimeError("a reporter's contact is never stored unsealed: intake needs the contact cipher")
    return sealer.seal(receipt, contact)


# --- reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContactView:
    """A contact as an analyst sees it. state: none, sealed, plain (stored before sealing began),
    purged (cleared after the retention period), unreadable, or withheld (there is one, but the
    caller's token may not open it)."""

    text: str
    state: str


def view(cipher: ContactCipher, report: Report) -> ContactView:
    stored = report.contact or ""
    if not stored:
        return ContactView("", "purged" if report.contact_purged_at is not None else "none")
    if not is_sealed(stored):
        return ContactView(stored, "plain")
    try:
        return ContactView(cipher.open(report.receipt, stored), "sealed")
    except ContactUnreadable:
        return ContactView("", "unreadable")


def withheld(report: Report) -> ContactView:
    """A contact as shown to a caller who may read the case but not open contacts (an API token
    without the scope hotline:contact): whether there is one, never what it says; nothing is opened."""
    if report.contact:
        return ContactView("", "withheld")
    return ContactView("", "purged" if report.contact_purged_at is not None else "none")


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
    current = cipher.current_prefix
    query = (select(Report.id, Report.receipt, Report.contact)
             .where(Report.contact_kept_since.is_not(None), ~Report.contact.startswith(current, autoescape=True))
             .order_by(Report.id))
    for report_id, receipt, stored in session.execute(query).all():
        try:
            plain = stored if not is_sealed(stored) else cipher.open(receipt, stored)
        except ContactUnreadable:
            summary.unreadable += 1
            continue
        changed = session.execute(update(Report).where(Report.id == report_id, Report.contact == stored)
                                  .values(contact=cipher.seal(receipt, plain)))
        if changed.rowcount:  # type: ignore[attr-defined]
            if is_sealed(stored):
                summary.resealed += 1
            else:
                summary.sealed += 1
    if summary.sealed or summary.resealed or summary.unreadable:
        audit.record(session, actor, "hotline:contacts:seal", "hotline:reports",
                     {"sealed": summary.sealed, "resealed": summary.resealed, "unreadable": summary.unreadable,
                      "key": cipher.key_id})
    return summary
