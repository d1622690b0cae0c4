"""JSON API for the plan office's indicator work: definitions and values (corrections supersede and
are kept). Reading indicators is public and lives in api/portal.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.followup import indicators as isvc
from mamoru.followup import schemas as sc
from mamoru.web.deps import get_session, live_providers, require_scope

router = APIRouter(prefix="/api/v1/followup", tags=["followup: indicators"])
REFUSED: dict[int | str, dict[str, Any]] = {403: {"description": "not the plan office"}, 422: {"description": "invalid values"}}


@router.put("/indicators/{code}", response_model=sc.IndicatorOut, responses=REFUSED,
            summary="Define an indicator or change its definition (coordinator)")
def define(code: str, body: sc.IndicatorDefinitionIn, session: Session = Depends(get_session),
           user: User = Depends(require_scope("plan:write")),
           live: isvc.LiveProviders = Depends(live_providers)) -> sc.IndicatorOut:
    ind = isvc.define_indicator(session, user, code, body.model_dump(exclude_unset=True))
    session.refresh(ind)
    return sc.indicator_out(ind, isvc.series(session, ind, live), with_values=True)


@router.post("/indicators/{code}/values", status_code=201, response_model=sc.IndicatorValueOut, responses=REFUSED,
             summary="Enter a value (coordinator); one already current for the period is superseded and kept")
def add_value(code: str, body: sc.IndicatorValueIn, session: Session = Depends(get_session),
              user: User = Depends(require_scope("plan:write"))) -> sc.IndicatorValueOut:
    ind = isvc.get_indicator(session, code)
    value = isvc.add_value(session, user, ind, body.period, body.value, body.status, body.source,
                           body.published_on, body.category, body.note)
    return sc.value_out(value)
