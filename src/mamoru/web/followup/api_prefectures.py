"""JSON API for what the plan office keeps per prefecture: the status of measures carried out by
prefectures (and whether the public sees it), and prefectural consultation services. Reading both
is public and lives in api/portal.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.followup import prefectures as psvc
from mamoru.followup import publication
from mamoru.followup import schemas as sc
from mamoru.plan import service as plan_svc
from mamoru.web.deps import get_session, require_scope

router = APIRouter(prefix="/api/v1/followup", tags=["followup: prefectures"])
REFUSED: dict[int | str, dict[str, Any]] = {403: {"description": "not the plan office"}, 422: {"description": "invalid values"}}


def _out(session: Session, uid: str) -> sc.MeasurePrefecturesOut:
    m = plan_svc.get_measure(session, uid)
    rows = psvc.table(session, m)
    return sc.prefectures_out(m, rows, psvc.publication(session, m) is not None, psvc.counts(rows))


@router.put("/prefectures/{measure}/{prefecture}", response_model=sc.MeasurePrefecturesOut, responses=REFUSED,
            summary="Record a prefecture's status on a measure (coordinator)")
def set_status(measure: str, prefecture: str, body: sc.PrefectureStatusIn, session: Session = Depends(get_session),
               user: User = Depends(require_scope("plan:write"))) -> sc.MeasurePrefecturesOut:
    psvc.set_status(session, user, plan_svc.get_measure(session, measure), prefecture, body.status, body.since,
                    body.note)
    return _out(session, measure)


@router.post("/prefectures/{measure}/publish", response_model=sc.MeasurePrefecturesOut, responses=REFUSED,
             summary="Show a measure's prefecture status to the public (coordinator)")
def publish(measure: str, session: Session = Depends(get_session),
            user: User = Depends(require_scope("plan:write"))) -> sc.MeasurePrefecturesOut:
    psvc.publish(session, user, plan_svc.get_measure(session, measure), True)
    return _out(session, measure)


@router.post("/prefectures/{measure}/withdraw", response_model=sc.MeasurePrefecturesOut, responses=REFUSED,
             summary="Stop showing a measure's prefecture status to the public (coordinator)")
def withdraw(measure: str, session: Session = Depends(get_session),
             user: User = Depends(require_scope("plan:write"))) -> sc.MeasurePrefecturesOut:
    psvc.publish(session, user, plan_svc.get_measure(session, measure), False)
    return _out(session, measure)


def _codes(session: Session) -> dict[int, str]:
    return {p.id: p.code for p in publication.prefectures(session)}


@router.post("/services", status_code=201, response_model=sc.ServiceOut, responses=REFUSED,
             summary="Add a prefectural consultation service (coordinator)")
def add_service(body: sc.ServiceIn, session: Session = Depends(get_session),
                user: User = Depends(require_scope("plan:write"))) -> sc.ServiceOut:
    svc = publication.add_service(session, user, body.prefecture, body.name_en, body.name_ja, body.phone,
                                  body.hours_en, body.hours_ja, body.what_en, body.what_ja, body.url)
    return sc.service_out(svc, _codes(session))


@router.patch("/services/{key}", response_model=sc.ServiceOut,
              responses={**REFUSED, 409: {"description": "a national service (shipped with the data)"}},
              summary="Change or withdraw a prefectural consultation service (coordinator)")
def update_service(key: str, body: sc.ServicePatch, session: Session = Depends(get_session),
                   user: User = Depends(require_scope("plan:write"))) -> sc.ServiceOut:
    svc = publication.update_service(session, user, key, body.model_dump(exclude_unset=True, exclude_none=True))
    return sc.service_out(svc, _codes(session))
