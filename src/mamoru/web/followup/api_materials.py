"""JSON API for keeping awareness material: add (as a draft), change, publish to the portal or take it
off, retire for good. The plan office keeps any material, an agency officer their own agency's.
Reading material is public (published only) and lives in api/portal.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.followup import materials as msvc
from mamoru.followup import schemas as sc
from mamoru.web.deps import get_session, require_scope

router = APIRouter(prefix="/api/v1/followup", tags=["followup: awareness material"])
REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "neither the plan office nor an officer of the material's agency"},
    422: {"description": "invalid values"}}
KEPT: dict[int | str, dict[str, Any]] = {**REFUSED, 409: {"description": "retired material (kept as it was, never shown again)"}}


@router.post("/materials", status_code=201, response_model=sc.MaterialOut, responses=REFUSED,
             summary="Add awareness material as a draft (coordinator, or an agency officer for their agency's measures)")
def add_material(body: sc.MaterialIn, session: Session = Depends(get_session),
                 user: User = Depends(require_scope("plan:write"))) -> sc.MaterialOut:
    m = msvc.add_material(session, user, body.measure, body.title_en, body.title_ja, body.url, body.audience,
                          body.agency)
    return sc.material_out(m)


@router.patch("/materials/{material_id}", response_model=sc.MaterialOut, responses=KEPT,
              summary="Change awareness material (a published one stays published and shows the change at once)")
def patch_material(material_id: int, body: sc.MaterialPatch, session: Session = Depends(get_session),
                   user: User = Depends(require_scope("plan:write"))) -> sc.MaterialOut:
    m = msvc.material_to_change(session, user, material_id)
    msvc.update_material(session, user, m, body.model_dump(exclude_unset=True, exclude_none=True))
    return sc.material_out(m)


@router.post("/materials/{material_id}/publish", response_model=sc.MaterialOut, responses=KEPT,
             summary="Show awareness material on the public portal")
def publish_material(material_id: int, session: Session = Depends(get_session),
                     user: User = Depends(require_scope("plan:write"))) -> sc.MaterialOut:
    m = msvc.set_published(session, user, msvc.material_to_change(session, user, material_id), True)
    return sc.material_out(m)


@router.post("/materials/{material_id}/unpublish", response_model=sc.MaterialOut, responses=KEPT,
             summary="Take awareness material off the portal (it stays a draft that can be published again)")
def unpublish_material(material_id: int, session: Session = Depends(get_session),
                       user: User = Depends(require_scope("plan:write"))) -> sc.MaterialOut:
    m = msvc.set_published(session, user, msvc.material_to_change(session, user, material_id), False)
    return sc.material_out(m)


@router.post("/materials/{material_id}/retire", response_model=sc.MaterialOut, responses=REFUSED,
             summary="Withdraw awareness material for good (kept for the record, never shown again)")
def retire_material(material_id: int, body: sc.MaterialRetireIn | None = None, session: Session = Depends(get_session),
                    user: User = Depends(require_scope("plan:write"))) -> sc.MaterialOut:
    m = msvc.retire_material(session, user, msvc.material_to_change(session, user, material_id),
                             body.reason if body else "")
    return sc.material_out(m)
