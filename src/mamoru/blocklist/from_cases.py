"""Entries that come from cases of a hotline, told as plain facts (`CaseFacts`): the blocking list
does not read the hotline's tables; the hotline's adapter (mamoru.hotline.to_blocklist) finds the
case and calls these.

- `propose_from_case(session, actor, facts)`: the case must be assessed as illegal and not verified
  as removed; the entry records the case number and is due for review after `review_days`.
- `sync_removed(session, actor, numbers, case_urls)`: given the numbers and URLs of the cases whose
  removal the hotline confirmed (never on one check's answer: a site can answer the checker alone
  with 404; the hotline's adapter passes only removals that two checks at least 12 hours apart, and
  for a URL that came back before an analyst, confirmed), URL entries of those cases leave the list (one version
  each, audited as `blocklist:entry:content-removed`); host and domain entries of such cases are
  listed for a whole name on wider grounds, so they are not removed but made due for review today.
  Nothing changes when nothing is due, so a scheduled job can call it as often as it likes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mamoru import audit, urls
from mamoru.auth.models import User
from mamoru.blocklist import service
from mamoru.blocklist.models import BlocklistEntry
from mamoru.errors import Conflict

_CHUNK = 500


@dataclass(frozen=True)
class CaseFacts:
    """What the blocking list needs to know of a hotline case."""

    number: str  # the case reference recorded on the entry, e.g. C0000042
    url: str  # as reported
    illegal: bool  # assessed as illegal
    removed: bool  # the hotline verified the content as removed (and has not seen it again)
    category: str  # the entry's category, e.g. csam
    verdict: str = ""  # the assessment's label, for messages and the default reason


def propose_from_case(session: Session, actor: User | None, case: CaseFacts, *, kind: str = "url",
                      criteria: Iterable[str] = (), reason: str = "",
                      review_days: int = service.DEFAULT_REVIEW_DAYS) -> BlocklistEntry:
    """Propose the case's URL (or, with kind host/domain, its host name) for the list."""
    if not case.illegal:
        raise Conflict("hotline case {case} is not assessed as illegal (verdict: {verdict})", case=case.number,
                       verdict=case.verdict or "none")
    if case.removed:
        raise Conflict("hotline case {case}: the hotline verified the content as removed", case=case.number)
    value = case.url if kind == "url" else urls.parse(case.url).host
    text = reason.strip() or f"hotline case {case.number}: {case.verdict}"
    return service.propose(session, actor, kind, value, text, criteria=criteria, category=case.category,
                           case_ref=case.number, review_days=review_days)


@dataclass
class SyncResult:
    removed: list[BlocklistEntry] = field(default_factory=list)  # URL entries taken off the list
    to_review: list[BlocklistEntry] = field(default_factory=list)  # host/domain entries now due for review


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def _active_entries_of(session: Session, numbers: Sequence[str], values: Sequence[str]) -> list[BlocklistEntry]:
    found: dict[int, BlocklistEntry] = {}
    for part in _chunks(numbers):
        for e in session.scalars(select(BlocklistEntry).where(BlocklistEntry.status == "active",
                                                              BlocklistEntry.case_ref.in_(part))):
            found[e.id] = e
    for part in _chunks(values):
        for e in session.scalars(select(BlocklistEntry).where(
                BlocklistEntry.status == "active", BlocklistEntry.kind == "url", BlocklistEntry.value.in_(part),
                or_(BlocklistEntry.case_ref.is_(None), BlocklistEntry.case_ref == ""))):
            found[e.id] = e
    return [found[i] for i in sorted(found)]


def _entry_value(url: str) -> str | None:
    try:
        return urls.canonicalize(url)
    except ValueError:
        return None


def sync_removed(session: Session, actor: User | None, numbers: Sequence[str], case_urls: Iterable[str],
                 today: date | None = None) -> SyncResult:
    """Apply verified removals to the list (see the module docstring). `case_urls` are the removed
    cases' URLs, which also take off entries listed by hand (without a case number) for the same URL."""
    today = today or date.today()
    values = sorted({v for v in (_entry_value(u) for u in case_urls) if v is not None})
    result = SyncResult()
    for e in _active_entries_of(session, list(numbers), values):
        if e.kind == "url":
            result.removed.append(service.content_removed(session, actor, e.id))
        elif e.review_on > today:
            old, e.review_on = e.review_on, today
            audit.record(session, actor, "blocklist:entry:review-now", f"blocklist-entry:{e.id}",
                         {"why": f"hotline case {e.case_ref} verified as removed", "from": old.isoformat()})
            result.to_review.append(e)
    return result
