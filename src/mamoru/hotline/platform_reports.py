"""A platform's report to the hotline of a URL whose content matched the banks (issue 4).

The hotline's intake, served by the matcher process (POST /api/v1/match/reports). The platform
sends the URL and the hashes it computed on its own machines. The server matches them again with
the matching domain's public check (mamoru.matching.answers.answer: the banks chosen for the
platform, at the match threshold MATCH_DISTANCE at most, as POST /api/v1/match; the re-check is counted like any
match query), refuses when none matches, and otherwise puts the report in the hotline's inbox
(hotline/inbox.py) with what matched: bank name, entry id and distance, never a category label.
The matcher may insert into the inbox and read nothing of the hotline; the hotline worker opens the
case (or joins an open one) and records on it that a platform's match brought it. Every report is audited (`match:report`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, Problem
from mamoru.hotline import inbox
from mamoru.matching.answers import answer
from mamoru.matching.index import MATCH_DISTANCE
from mamoru.matching.matcher import Matcher

MAX_REPORT_HASHES = 100


def matched_entries(results: Sequence[Any]) -> list[dict[str, Any]]:
    """Each matched entry once, at its smallest distance: bank name, entry id, distance (no label)."""
    best: dict[tuple[str, int], int] = {}
    for result in results:
        for m in result.matches:
            key = (str(m["bank"]), int(m["entry_id"]))
            best[key] = min(best.get(key, 64), int(m["distance"]))
    return [{"bank": bank, "entry_id": entry, "distance": d} for (bank, entry), d in sorted(best.items())]


def report_match(session: Session, matcher: Matcher, platform: User, url: str, hashes: Sequence[str],
                 note: str = "", signal: str = "pdq") -> str:
    """Check the hashes against the platform's banks and put the report in the hotline's inbox;
    the receipt. InvalidInput when the hashes are not 1 to 100 valid ones or none matches."""
    if not 1 <= len(hashes) <= MAX_REPORT_HASHES:
        raise InvalidInput([Problem(None, "hashes", f"send 1 to {MAX_REPORT_HASHES} hashes")])
    result = answer(session, matcher, platform, hashes, signal, MATCH_DISTANCE)
    matches = matched_entries(result.results)
    if not matches:
        raise InvalidInput([Problem(None, "hashes", "none of the hashes matches the banks chosen for this account "
                                                    f"(at distance {MATCH_DISTANCE} or less)")])
    receipt = inbox.accept_platform(session, platform, url, matches, note,
                                    content_type="image" if signal == "pdq" else "")
    audit.record(session, platform, "match:report", f"hotline:inbox:{receipt}",
                 {"hashes": len(hashes), "entries": len(matches), "banks": sorted({m["bank"] for m in matches})})
    return receipt
