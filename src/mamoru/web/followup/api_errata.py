"""JSON API of a published round's errata: corrections with their reason and date, the entries kept
as they were approved (mamoru.followup.errata)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.followup import errata as svc
from mamoru.followup import rounds as rsvc
from mamoru.followup.models import RoundErratum
from mamoru.web.deps import get_session, require_roles, require_scope
from mamoru.web.followup.api import staff_only

router = APIRouter(prefix="/api/v1/followup", tags=["followup"])


class ErratumIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    entry: str | None = Field(None, description="The corrected entry: its key (r1-...-npa) or id; left out, the "
                                                "correction is to the report as a whole. It must be a published "
                                                "(accepted) entry of the round.")
    text_ja: str = Field("", description="The correction in Japanese (this or text_en required).")
    text_en: str = Field("", description="The correction in English.")
    reason: str = Field(description="Why the report is corrected (required).")
    corrected_on: date | None = Field(None, description="Date of the correction (Japan); today if left out; not "
                                                        "before the publication, not in the future.")


def erratum_out(x: RoundErratum) -> dict[str, Any]:
    entry = x.entry
    return {"id": x.id, "round": x.round_id, "entry": entry.key if entry else None,
            "measure": entry.measure.uid if entry else None, "code": entry.measure.code if entry else None,
            "agency": entry.agency.code if entry else None, "text_ja": x.text_ja, "text_en": x.text_en,
            "reason": x.reason, "corrected_on": x.corrected_on.isoformat(), "by": x.by, "at": x.at.isoformat()}


@router.get("/rounds/{round_id}/errata", summary="A round's errata (corrections to its published report)")
def list_errata(round_id: int, session: Session = Depends(get_session),
                user: User = Depends(require_scope("plan:read"))) -> list[dict[str, Any]]:
    staff_only(user)
    return [erratum_out(x) for x in svc.errata(session, rsvc.get_round(session, round_id))]


@router.post("/rounds/{round_id}/errata", status_code=201,
             summary="Correct a published round's report (coordinator): the entry is kept, the correction added",
             responses={403: {"description": "not the plan office"},
                        409: {"description": "the round is not published (return the entry instead)"},
                        422: {"description": "no correction text, no reason, a date out of range, or an entry "
                                             "that is not a published entry of the round"}})
def add_erratum(round_id: int, body: ErratumIn, session: Session = Depends(get_session),
                user: User = Depends(require_roles(roles.COORDINATOR, scope="plan:write"))) -> dict[str, Any]:
    r = rsvc.get_round(session, round_id)
    x = svc.add_erratum(session, user, r, reason=body.reason, text_ja=body.text_ja, text_en=body.text_en,
                        entry_key=body.entry, corrected_on=body.corrected_on)
    session.refresh(x)
    return erratum_out(x)
