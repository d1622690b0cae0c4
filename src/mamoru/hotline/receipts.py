"""Receipt numbers: drawing one for a new report, and what a reporter may learn with it.

A receipt is the only thing a public reporter holds, and with the status lookup it opens a door:
anyone who holds it may learn one coarse state of the report (workflow.public_status), so it must
not be guessable. Receipts until hl0007 were R<yymmdd>-<8 hex digits>: 32 random bits per day,
which a patient guesser spread over many addresses could walk. New ones carry 80 random bits in
Crockford's base 32 (no I, L, O, U: nothing to misread on a phone), in groups of four:
R<yymmdd>-XXXX-XXXX-XXXX-XXXX. Old receipts still resolve (`normalise` accepts both shapes).

`public_status` reads one receipt's state: on PostgreSQL through hl_receipt_status(text), a
SECURITY DEFINER function (migration hl0007) that the intake's database user may execute while it
reads no case or report; on SQLite (one process, no database users) the same rule as a query.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mamoru.hotline import workflow as wf
from mamoru.hotline.models import HotlineCase, InboxReport, Report

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARS = 16  # 80 bits
MAX_INPUT = 64
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DASHES = re.compile(r"[\s\-‐‑‒–—―−ー－_]+")
_SHAPE = re.compile(r"R?(\d{6})([0-9A-Z]+)")
_NEW_TAIL = re.compile(f"[{CROCKFORD}]{{{RANDOM_CHARS}}}")
_OLD_TAIL = re.compile(r"[0-9A-F]{8}")


def new_receipt(now: datetime) -> str:
    tail = "".join(secrets.choice(CROCKFORD) for _ in range(RANDOM_CHARS))
    return f"R{now:%y%m%d}-" + "-".join(tail[i:i + 4] for i in range(0, RANDOM_CHARS, 4))


def normalise(typed: str) -> str | None:
    """The receipt as stored, from what a reporter typed (full-width characters, lower case, spaces,
    any dash or none, O for 0, I or L for 1); None when it cannot be a receipt."""
    if len(typed) > MAX_INPUT:
        return None
    flat = _DASHES.sub("", unicodedata.normalize("NFKC", typed).upper())
    shape = _SHAPE.fullmatch(flat)
    if shape is None:
        return None
    day, tail = shape.group(1), shape.group(2).translate(_MISREAD)
    if _NEW_TAIL.fullmatch(tail):
        return f"R{day}-" + "-".join(tail[i:i + 4] for i in range(0, RANDOM_CHARS, 4))
    if _OLD_TAIL.fullmatch(tail):
        return f"R{day}-{tail}"
    return None


def public_status(session: Session, typed: str) -> str | None:
    """received, assessed or acted_on for the report with this receipt; None when there is none
    (or the text is no receipt: the same answer, so a guesser learns nothing more)."""
    receipt = normalise(typed)
    if receipt is None:
        return None
    if session.get_bind().dialect.name == "postgresql":
        found = session.scalar(text("SELECT hl_receipt_status(:receipt)"), {"receipt": receipt})
        return str(found) if found is not None else None
    if session.scalar(select(InboxReport.id).where(InboxReport.receipt == receipt)) is not None:
        return wf.public_status(None, False)
    row = session.execute(select(HotlineCase.status, HotlineCase.police_hold).join(Report, Report.case_id == HotlineCase.id)
                          .where(Report.receipt == receipt)).first()
    return wf.public_status(row.status, row.police_hold) if row is not None else None
