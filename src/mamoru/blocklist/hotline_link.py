"""Where the blocking list meets the hotline: entries proposed from a hotline case, and entries whose
content the hotline has verified as removed leaving the list.

The hotline owns its cases; this module only reads them (`mamoru.hotline.models.HotlineCase`, the
status names in `mamoru.hotline.workflow`) and changes the list through `service`, so four eyes,
versions and the audit log apply as everywhere else. A case is "verified as removed" while its status
is `removed` (a removal check found the URL gone; it leaves that status again if the URL reappears).

- `propose_from_case(session, actor, ref)`: ref is a case number (C0000042), a case id, or the
  case's URL; the case must be assessed as illegal. The entry records the case number.
- `sync_removed(session, actor)`: URL entries of removed cases leave the list (one version each,
  audited as `blocklist:entry:content-removed`); host and domain entries of such cases are listed for
  a whole name on wider grounds, so they are not removed but made due for review today. Nothing
  changes when nothing is due, so a scheduled job can call it as often as it likes.
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
from mamoru.errors import Conflict, NotFound
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import HotlineCase

_CHUNK = 500


def find_case(session: Session, ref: str) -> HotlineCase:
    """A hotline case by number (C0000042), id (42) or URL (any spelling of its canonical URL)."""
    ref = ref.strip()
    number = ref[1:] if ref[:1] in ("C", "c") and ref[1:].isdigit() else ref
    case: HotlineCase | None = None
    if number.isdigit():
        case = session.get(HotlineCase, int(number))
    elif "/" in ref or "." in ref:
        try:
            canonical = urls.canonicalize_full(ref)
        except ValueError:
            canonical = ref
        case = session.scalars(select(HotlineCase).where(HotlineCase.canonical_url.in_({ref, canonical}))).first()
    if case is None:
        raise NotFound(f"no hotline case {ref!r} (give its number, e.g. C0000042, or its URL)")
    return case


def propose_from_case(session: Session, actor: User | None, ref: str, *, kind: str = "url",
                      criteria: Iterable[str] = (), reason: str = "",
                      review_days: int = service.DEFAULT_REVIEW_DAYS) -> BlocklistEntry:
    """Propose the case's URL (or, with kind host/domain, its host name) for the list."""
    case = find_case(session, ref)
    if case.verdict not in wf.ACTIONABLE:
        raise Conflict(f"hotline case {case.number} is not assessed as illegal (verdict: {case.verdict or 'none'})")
    if case.status == wf.REMOVED:
        raise Conflict(f"hotline case {case.number}: the hotline verified the content as removed")
    value = case.url if kind == "url" else urls.parse(case.url).host
    category = "csam" if case.verdict == wf.CSAM else "solicitation"
    text = reason.strip() or f"hotline case {case.number}: {case.verdict}"
    return service.propose(session, actor, kind, value, text, criteria=criteria, category=category,
                           case_ref=case.number, review_days=review_days)


@dataclass
class SyncResult:
    removed: list[BlocklistEntry] = field(default_factory=list)  # URL entries taken off the list
    to_review: list[BlocklistEntry] = field(default_factory=list)  # host/domain entries now due for review


def removed_cases(session: Session) -> list[HotlineCase]:
    """Cases whose content the hotline has verified as removed (and not seen again since)."""
    return list(session.scalars(select(HotlineCase).where(HotlineCase.status == wf.REMOVED)
                                .order_by(HotlineCase.id)))


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


def _entry_value(case: HotlineCase) -> str | None:
    try:
        return urls.canonicalize(case.url)
    except ValueError:
        return None


def sync_removed(session: Session, actor: User | None = None, today: date | None = None) -> SyncResult:
    """Apply the hotline's verified removals to the list (see the module docstring)."""
    today = today or date.today()
    cases = removed_cases(session)
    numbers = [c.number for c in cases]
    values = sorted({v for v in (_entry_value(c) for c in cases) if v is not None})
    result = SyncResult()
    for e in _active_entries_of(session, numbers, values):
        if e.kind == "url":
            result.removed.append(service.content_removed(session, actor, e.id))
        elif e.review_on > today:
            old, e.review_on = e.review_on, today
            audit.record(session, actor, "blocklist:entry:review-now", f"blocklist-entry:{e.id}",
                         {"why": f"hotline case {e.case_ref} verified as removed", "from": old.isoformat()})
            result.to_review.append(e)
    return result
