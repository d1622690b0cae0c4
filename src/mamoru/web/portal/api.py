"""Public JSON API of the follow-up (no login): indicators with their sources, published prefecture
status, the consultation services and published awareness material. Served by the portal process too,
so it only reads; staff signed in or holding a token also see what is not yet published (prefecture
status, withdrawn services, draft and retired material)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import NotFound
from mamoru.followup import indicators as isvc
from mamoru.followup import materials as msvc
from mamoru.followup import prefectures as psvc
from mamoru.followup import publication
from mamoru.followup import schemas as sc
from mamoru.plan import service as plan_svc
from mamoru.web.deps import current_user_optional, get_session, live_providers

router = APIRouter(prefix="/api/v1/followup", tags=["followup: public"])
STAFF = (roles.COORDINATOR, roles.AGENCY_OFFICER, roles.AUDITOR, roles.ADMINISTRATOR)


def _is_staff(user: User | None) -> bool:
    return user is not None and user.role in STAFF


@router.get("/indicators", response_model=list[sc.IndicatorOut],
            summary="Indicators with their current values and sources (public)")
def list_indicators(session: Session = Depends(get_session),
                    live: isvc.LiveProviders = Depends(live_providers)) -> list[sc.IndicatorOut]:
    return [sc.indicator_out(i, isvc.series(session, i, live)) for i in isvc.indicators(session)]


@router.get("/indicators/{code}", response_model=sc.IndicatorOut,
            summary="One indicator: definition, current and computed values, every approved value (public; staff "
                    "also see drafts and withdrawn values)")
def get_indicator(code: str, session: Session = Depends(get_session),
                  live: isvc.LiveProviders = Depends(live_providers),
                  user: User | None = Depends(current_user_optional)) -> sc.IndicatorOut:
    """The public sees approved values only (and published values later withdrawn, with the reason);
    staff also see drafts and withdrawn drafts, with who entered and approved each."""
    ind = isvc.get_indicator(session, code)
    return sc.indicator_out(ind, isvc.series(session, ind, live), with_values=True, staff=_is_staff(user))


@router.get("/indicators/{code}/computed", response_model=list[sc.PointOut],
            summary="Values computed by the indicator's provider (computed here, or as its domain published "
                    "them), whether or not a figure was entered")
def computed(code: str, session: Session = Depends(get_session),
             live: isvc.LiveProviders = Depends(live_providers)) -> list[sc.PointOut]:
    ind = isvc.get_indicator(session, code)
    values = isvc.computed_values(session, ind, live)
    if values is None:
        raise NotFound(f"indicator {code!r} has no provider")
    return [sc.PointOut(period=c.period, category=c.category, value=c.value, status="computed",
                        source=c.note or ind.source_en, published_on=None, supersedes=[])
            for c in values]


@router.get("/prefectures", response_model=list[sc.MeasurePrefecturesOut],
            summary="Per-prefecture status of measures (published ones for the public)")
def list_prefecture_status(session: Session = Depends(get_session),
                           user: User | None = Depends(current_user_optional)) -> list[sc.MeasurePrefecturesOut]:
    staff = _is_staff(user)
    published = {m.id for m in psvc.measures_with_status(session, published_only=True)}
    out = []
    for m in psvc.measures_with_status(session, published_only=not staff):
        rows = psvc.table(session, m)
        out.append(sc.prefectures_out(m, rows, m.id in published, psvc.counts(rows)))
    return out


@router.get("/prefectures/{measure}", response_model=sc.MeasurePrefecturesOut,
            summary="One measure's status in each of the 47 prefectures (public once published)")
def get_prefecture_status(measure: str, session: Session = Depends(get_session),
                          user: User | None = Depends(current_user_optional)) -> sc.MeasurePrefecturesOut:
    m = plan_svc.get_measure(session, measure)
    published = psvc.publication(session, m) is not None
    if not published and not _is_staff(user):
        raise NotFound(f"no published prefecture status for measure {measure!r}")
    rows = psvc.table(session, m)
    return sc.prefectures_out(m, rows, published, psvc.counts(rows))


@router.get("/services", response_model=list[sc.ServiceOut],
            summary="Consultation services: national ones shipped, prefectural ones kept by the plan office (public)")
def list_services(prefecture: str | None = None,
                  withdrawn: bool = Query(False, description="Staff: include withdrawn prefectural services."),
                  session: Session = Depends(get_session),
                  user: User | None = Depends(current_user_optional)) -> list[sc.ServiceOut]:
    codes = {p.id: p.code for p in publication.prefectures(session)}
    rows = publication.services(session, include_inactive=withdrawn and _is_staff(user))
    if prefecture:
        rows = [s for s in rows if s.scope == "national" or codes.get(s.prefecture_id or 0) == prefecture.zfill(2)]
    return [sc.service_out(s, codes) for s in rows]


@router.get("/materials", response_model=list[sc.MaterialOut],
            summary="Awareness material by measure: published for the public; staff also see drafts and retired")
def list_materials(state: Literal["draft", "published", "retired"] | None = Query(
                       None, description="Only material in this state (the public sees published material only)."),
                   session: Session = Depends(get_session),
                   user: User | None = Depends(current_user_optional)) -> list[sc.MaterialOut]:
    if not _is_staff(user):
        rows = msvc.materials(session, published_only=True) if state in (None, "published") else []
    else:
        rows = msvc.materials(session, state=state)
    return [sc.material_out(m) for m in rows]


@router.get("/materials/{material_id}", response_model=sc.MaterialOut,
            summary="One awareness material (the public: published material only)")
def get_material(material_id: int, session: Session = Depends(get_session),
                 user: User | None = Depends(current_user_optional)) -> sc.MaterialOut:
    m = msvc.get_material(session, material_id)
    if msvc.state_of(m) != "published" and not _is_staff(user):
        raise NotFound(f"no published awareness material {material_id}")
    return sc.material_out(m)
