"""JSON API of the alignment with the WePROTECT Model National Response: measures mapped to its 21
capabilities, the capabilities no measure addresses, and dated maturity self-assessments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.followup import alignment as asvc
from mamoru.followup import schemas_meetings as sc
from mamoru.plan import service as plan_svc
from mamoru.web.deps import get_session, require_scope
from mamoru.web.followup.api import staff_only

router = APIRouter(prefix="/api/v1/followup/alignment", tags=["followup: alignment"])
REFUSED: dict[int | str, dict[str, Any]] = {403: {"description": "not the plan office"}, 422: {"description": "invalid values"}}


@router.get("", response_model=sc.CoverageOut,
            summary="Capabilities with their measures and maturity, and those no measure addresses")
def coverage(session: Session = Depends(get_session), user: User = Depends(require_scope("plan:read"))) -> sc.CoverageOut:
    staff_only(user)
    return sc.coverage_out(asvc.coverage(session))


@router.put("/capabilities/{number}/measures/{measure}", response_model=sc.CoverageOut, responses=REFUSED,
            summary="Map a measure to a capability (coordinator)")
def map_measure(number: int, measure: str, session: Session = Depends(get_session),
                user: User = Depends(require_scope("plan:write"))) -> sc.CoverageOut:
    asvc.map_measure(session, user, plan_svc.get_measure(session, measure), number, True)
    return sc.coverage_out(asvc.coverage(session))


@router.delete("/capabilities/{number}/measures/{measure}", response_model=sc.CoverageOut, responses=REFUSED,
               summary="Remove a measure from a capability (coordinator)")
def unmap_measure(number: int, measure: str, session: Session = Depends(get_session),
                  user: User = Depends(require_scope("plan:write"))) -> sc.CoverageOut:
    asvc.map_measure(session, user, plan_svc.get_measure(session, measure), number, False)
    return sc.coverage_out(asvc.coverage(session))


@router.post("/capabilities/{number}/assessments", status_code=201, response_model=sc.AssessmentOut,
             responses=REFUSED, summary="Record a dated maturity self-assessment, phase 1 to 4 (coordinator)")
def assess(number: int, body: sc.AssessmentIn, session: Session = Depends(get_session),
           user: User = Depends(require_scope("plan:write"))) -> sc.AssessmentOut:
    a = asvc.assess(session, user, number, body.phase, body.assessed_on, body.note)
    return sc.AssessmentOut(phase=a.phase, assessed_on=a.assessed_on, note=a.note, by=a.by)


@router.post("/capabilities/{number}/confirm", response_model=sc.ConfirmedOut, responses=REFUSED,
             summary="Confirm the proposed links of one capability (coordinator)")
def confirm_capability(number: int, session: Session = Depends(get_session),
                       user: User = Depends(require_scope("plan:write"))) -> sc.ConfirmedOut:
    n = asvc.confirm(session, user, number)
    return sc.ConfirmedOut(**sc.coverage_out(asvc.coverage(session)).model_dump(), confirmed=n)


@router.post("/confirm", response_model=sc.ConfirmedOut, responses=REFUSED,
             summary="Confirm every proposed link of the mapping (coordinator)")
def confirm_all(session: Session = Depends(get_session),
                user: User = Depends(require_scope("plan:write"))) -> sc.ConfirmedOut:
    n = asvc.confirm(session, user, None)
    return sc.ConfirmedOut(**sc.coverage_out(asvc.coverage(session)).model_dump(), confirmed=n)
