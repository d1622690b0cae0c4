"""What an assessed case gives the other parts of mamoru: its URL proposed to the blocking list
(through the blocklist's own four-eyes workflow), and its hashes added to a hash bank.

Both only for cases assessed as illegal, both through the owning domain's public functions.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.errors import Conflict, InvalidInput
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import ContentHash, HotlineCase

DEFAULT_BANK = "hotline"


def _require_illegal(case: HotlineCase) -> None:
    if case.verdict not in wf.ACTIONABLE:
        raise Conflict("only a case assessed as illegal gives its URL or hashes to other lists")


def propose_to_blocklist(session: Session, case: HotlineCase, actor: User) -> int:
    """Propose the case's URL for the blocking list; another person confirms it there. Returns the entry id."""
    from mamoru.blocklist import service as blocklist

    _require_illegal(case)
    category = "csam" if case.verdict == wf.CSAM else "solicitation"
    entry = blocklist.propose(session, actor, "url", case.url, f"hotline case {case.number}: {case.verdict}",
                              case_ref=case.number, category=category)
    return int(entry.id)


def send_hashes_to_bank(session: Session, case: HotlineCase, actor: User, bank_name: str = DEFAULT_BANK) -> int:
    """Add the case's hashes to the bank (created as the hotline's own if missing); returns how many
    were new there."""
    from mamoru.errors import NotFound
    from mamoru.matching import service as matching
    from mamoru.matching.banks import EntryIn

    _require_illegal(case)
    hashes = list(session.scalars(select(ContentHash).where(ContentHash.case_id == case.id).order_by(ContentHash.id)))
    if not hashes:
        raise InvalidInput("record the content's hashes on the case first")
    try:
        bank = matching.get_bank(session, bank_name)
    except NotFound:
        bank = matching.create_bank(session, bank_name, actor, "Hashes of content the hotline assessed as illegal",
                                    source="own_hotline")
    new = matching.not_in_bank(session, bank, [
        EntryIn(signal=h.algorithm, hash=h.value, category=case.verdict or "", case_ref=case.number) for h in hashes])
    if new:
        matching.add_entries(session, bank, new, actor, how="hotline")
    return len(new)
