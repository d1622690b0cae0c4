"""JSON API for the plan office's indicator work: definitions, values entered as drafts, approved by a
second person of the office, withdrawn with a reason (mamoru.followup.indicator_values). Reading
indicators is public and lives in web/portal/api.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.followup import indicator_values as ivals
from mamoru.followup import indicators as isvc
from mamoru.followup import schemas as sc
from mamoru.web.deps import get_session, live_providers, require_scope

router = APIRouter(prefix="/api/v1/followup", tags=["followup: indicators"])
REFUSED: dict[int | str, dict[str, Any]] = {403: {"description": "not the plan office"}, 422: {"description": "invalid values"}}
REVIEW_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "not the plan office, or the person who entered the value"},
    404: {"description": "no such value of the indicator"},
    409: {"description": "the value is not in a state for this"}, 422: {"description": "no reason given"}}


@router.put("/indicators/{code}", response_model=sc.IndicatorOut, responses=REFUSED,
            summary="Define an indicator or change its definition (coordinator)")
def define(code: str, body: sc.IndicatorDefinitionIn, session: Session = Depends(get_session),
           user: User = Depends(require_scope("plan:write")),
           live: isvc.LiveProviders = Depends(live_providers)) -> sc.IndicatorOut:
    ind = isvc.define_indicator(session, user, code, body.model_dump(exclude_unset=True))
    session.refresh(ind)
    return sc.indicator_out(ind, isvc.series(session, ind, live), with_values=True, staff=True)


@router.post("/indicators/{code}/values", status_code=201, response_model=sc.IndicatorValueOut, responses=REFUSED,
             summary="Enter a value as a draft (coordinator): checked for period, range and breakdown key; public "
                     "once another person of the plan office approves it")
def add_value(code: str, body: sc.IndicatorValueIn, session: Session = Depends(get_session),
              user: User = Depends(require_scope("plan:write"))) -> sc.IndicatorValueOut:
    ind = isvc.get_indicator(session, code)
    value = ivals.add_value(session, user, ind, body.period, body.value, body.status, body.source,
                            body.published_on, body.category, body.note, body.corrects)
    return sc.value_out(value)


@router.post("/indicators/{code}/values/{value_id}/approve", response_model=sc.IndicatorValueOut,
             responses=REVIEW_REFUSED,
             summary="Approve a draft value (coordinator, not the one who entered it): it is public from now on")
def approve(code: str, value_id: int, session: Session = Depends(get_session),
            user: User = Depends(require_scope("plan:write"))) -> sc.IndicatorValueOut:
    ind = isvc.get_indicator(session, code)
    return sc.value_out(ivals.approve_value(session, user, ind, ivals.get_value(session, ind, value_id)))


@router.post("/indicators/{code}/values/{value_id}/withdraw", response_model=sc.IndicatorValueOut,
             responses=REVIEW_REFUSED,
             summary="Withdraw a value, draft or published, with its reason (coordinator); it stays in the history")
def withdraw(code: str, value_id: int, body: sc.WithdrawIn, session: Session = Depends(get_session),
             user: User = Depends(require_scope("plan:write"))) -> sc.IndicatorValueOut:
    ind = isvc.get_indicator(session, code)
    return sc.value_out(ivals.withdraw_value(session, user, ind, ivals.get_value(session, ind, value_id), body.reason))
