"""The hotline's adapter to the blocking list: a case's URL proposed for the list, and the cases the
hotline verified as removed handed over so that their entries leave it.

The rules are the blocking list's (mamoru.blocklist.from_cases: only cases assessed as illegal and
not verified as removed, the review period, four eyes, versions and the audit log); this module only
finds the case and tells the list the facts of it. A case is "verified as removed" while its status
is `removed` (it leaves that status again if the URL reappears). The list takes entries off only for
removals confirmed under the hotline's rule (`removal_confirmed_at` set: two removal checks at least
12 hours apart agreed, and for a URL that reappeared before an analyst confirmed it; workflow.
removal_check_step), never on one check's answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import urls
from mamoru.auth.models import User
from mamoru.blocklist import from_cases
from mamoru.blocklist.from_cases import SyncResult
from mamoru.blocklist.models import BlocklistEntry
from mamoru.blocklist.service import DEFAULT_REVIEW_DAYS
from mamoru.errors import NotFound, Term
from mamoru.hotline import vocabulary
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import HotlineCase

__all__ = ["SyncResult", "facts", "find_case", "propose", "removed_cases", "sync_case", "sync_removed"]


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
        raise NotFound("no hotline case {ref!r} (give its number, e.g. C0000042, or its URL)", ref=ref)
    return case


def facts(case: HotlineCase) -> from_cases.CaseFacts:
    return from_cases.CaseFacts(number=case.number, url=case.url, illegal=case.verdict in wf.ACTIONABLE,
                                removed=case.status == wf.REMOVED,
                                category="csam" if case.verdict == wf.CSAM else "solicitation",
                                verdict=Term(case.verdict, vocabulary.VERDICT.get(case.verdict)) if case.verdict else "")


def propose(session: Session, actor: User | None, case: HotlineCase | str, *, kind: str = "url",
            criteria: Iterable[str] = (), reason: str = "", review_days: int = DEFAULT_REVIEW_DAYS) -> BlocklistEntry:
    """Propose the case's URL (or, with kind host/domain, its host name) for the blocking list; another
    person confirms it there. `case` is the case or a reference find_case understands."""
    found = find_case(session, case) if isinstance(case, str) else case
    return from_cases.propose_from_case(session, actor, facts(found), kind=kind, criteria=criteria, reason=reason,
                                        review_days=review_days)


def removed_cases(session: Session) -> list[HotlineCase]:
    """Cases whose removal the hotline confirmed (and has not seen the URL again since)."""
    return list(session.scalars(select(HotlineCase).where(HotlineCase.status == wf.REMOVED,
                                                          HotlineCase.removal_confirmed_at.is_not(None))
                                .order_by(HotlineCase.id)))


def sync_removed(session: Session, actor: User | None = None, today: date | None = None) -> SyncResult:
    """Hand the removed cases to the blocking list: their URL entries leave it, host and domain entries
    become due for review (mamoru.blocklist.from_cases.sync_removed)."""
    cases = removed_cases(session)
    return from_cases.sync_removed(session, actor, [c.number for c in cases], [c.url for c in cases], today)


def sync_case(session: Session, actor: User | None, case: HotlineCase, today: date | None = None) -> SyncResult:
    """sync_removed for one case, when its removal was just confirmed (nothing otherwise)."""
    if case.status != wf.REMOVED or case.removal_confirmed_at is None:
        return SyncResult()
    return from_cases.sync_removed(session, actor, [case.number], [case.url], today)
