"""The hotline's adapter to the hash banks: the hashes of a case assessed as illegal added to a bank
(the hotline's own, created if missing), through the matching domain's public functions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.errors import Conflict, InvalidInput, NotFound
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import ContentHash, HotlineCase
from mamoru.matching import service as matching
from mamoru.matching.banks import EntryIn

DEFAULT_BANK = "hotline"


def send_hashes_to_bank(session: Session, case: HotlineCase, actor: User, bank_name: str = DEFAULT_BANK) -> int:
    """Add the case's hashes to the bank (created as the hotline's own if missing); returns how many
    were new there."""
    if case.verdict not in wf.ACTIONABLE:
        raise Conflict("only a case assessed as illegal gives its hashes to a hash bank")
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
