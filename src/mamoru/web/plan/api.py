"""JSON API of the plan registry under /api/v1."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import NotFound
from mamoru.followup import materials as msvc
from mamoru.followup import schemas as fsc
from mamoru.plan import schemas as sc
from mamoru.plan import service as svc
from mamoru.plan import successions as succ_svc
from mamoru.plan import timeline as timeline_svc
from mamoru.plan.models import Plan
from mamoru.web.deps import current_user_optional, get_session, require_roles, require_scope

router = APIRouter(prefix="/api/v1", tags=["plan"])


def _visible(plan: Plan, user: User | None) -> None:
    """Draft plans are seen only by signed-in staff; the public sees decided plans."""
    if plan.status == "draft" and (user is None or user.role in (roles.PLATFORM, roles.SUBSCRIBER)):
        raise NotFound(f"no plan {plan.key!r}")


@router.get("/plans", response_model=list[sc.PlanOut], summary="List plans (decided ones for the public)")
def list_plans(session: Session = Depends(get_session), user: User | None = Depends(current_user_optional)) -> list[sc.PlanOut]:
    counts = svc.measure_counts(session)
    out = []
    for p in svc.plans(session):
        try:
            _visible(p, user)
        except NotFound:
            continue
        out.append(sc.plan_out(p, counts.get(p.id, 0)))
    return out


@router.get("/plans/{key}", response_model=sc.PlanOut, summary="A plan with its pillars and measures")
def get_plan(key: str, session: Session = Depends(get_session), user: User | None = Depends(current_user_optional)) -> sc.PlanOut:
    plan = svc.get_plan(session, key)
    _visible(plan, user)
    pillars = svc.plan_pillars(session, plan)
    return sc.plan_out(plan, sum(len(p.measures) for p in pillars), pillars)


@router.get("/plans/{key}/pillars/{number}", response_model=sc.PillarOut, summary="One pillar with its measures")
def get_pillar(key: str, number: int, session: Session = Depends(get_session),
               user: User | None = Depends(current_user_optional)) -> sc.PillarOut:
    plan = svc.get_plan(session, key)
    _visible(plan, user)
    return sc.pillar_out(svc.get_pillar(session, plan, number), plan.key, date.today(), True)


@router.get("/measures", response_model=list[sc.MeasureOut], summary="Measures of a plan, filtered by pillar or agency")
def list_measures(plan: str | None = None, pillar: int | None = None,
                  agency: str | None = Query(None, description="Agency code, as written or answering today."),
                  session: Session = Depends(get_session), user: User | None = Depends(current_user_optional)) -> list[sc.MeasureOut]:
    p = svc.get_plan(session, plan)
    _visible(p, user)
    today = date.today()
    out = []
    for pl in svc.plan_pillars(session, p):
        if pillar is not None and pl.number != pillar:
            continue
        for m in pl.measures:
            if agency and not any(a.agency.code == agency.upper() or a.agency_on(today).code == agency.upper()
                                  for a in m.assignments):
                continue
            out.append(sc.measure_out(m, p.key, pl.number, today))
    return out


class MeasureDetailOut(sc.MeasureOut):
    materials: list[fsc.MaterialOut] = Field(
        description="Awareness material the measure produces: published material for the public; staff also see "
                    "drafts (state) but never retired material. Kept through /api/v1/followup/materials/{id}.")


@router.get("/measures/{uid}", response_model=MeasureDetailOut,
            summary="One measure with its amendments and the awareness material it produces")
def get_measure(uid: str, session: Session = Depends(get_session),
                user: User | None = Depends(current_user_optional)) -> MeasureDetailOut:
    m = svc.get_measure(session, uid)
    plan = session.get(Plan, m.plan_id)
    assert plan is not None
    _visible(plan, user)
    out = sc.measure_out(m, plan.key, m.pillar.number, date.today(), with_amendments=True)
    rows = msvc.for_measure(session, m, include_drafts=msvc.sees_drafts(user))
    return MeasureDetailOut(**out.model_dump(), materials=[fsc.material_out(x) for x in rows])


@router.patch("/measures/{uid}", response_model=sc.MeasureOut,
              summary="Amend a measure's wording (coordinator only; reason required)",
              responses={403: {"description": "not the plan office"}, 422: {"description": "invalid values"}})
def amend_measure(uid: str, body: sc.AmendmentIn, session: Session = Depends(get_session),
                  user: User = Depends(require_scope("plan:write"))) -> sc.MeasureOut:
    m = svc.get_measure(session, uid)
    values = body.model_dump(exclude={"reason", "amended_on"}, exclude_none=True)
    svc.amend_measure(session, m, user, values, body.reason, body.amended_on)
    session.refresh(m)
    plan = session.get(Plan, m.plan_id)
    assert plan is not None
    return sc.measure_out(svc.get_measure(session, uid), plan.key, m.pillar.number, date.today(), with_amendments=True)


@router.get("/agencies", response_model=list[sc.AgencyOut], summary="Agencies, with parents and validity")
def list_agencies(session: Session = Depends(get_session)) -> list[sc.AgencyOut]:
    return [sc.agency_out(a) for a in svc.agencies(session)]


@router.get("/agencies/{code}", response_model=sc.AgencyOut, summary="One agency")
def get_agency(code: str, session: Session = Depends(get_session)) -> sc.AgencyOut:
    return sc.agency_out(svc.get_agency(session, code))


@router.get("/agencies/{code}/profile", response_model=sc.AgencyProfileOut,
            summary="An agency's focal points and contacts (signed-in staff)")
def get_profile(code: str, session: Session = Depends(get_session),
                user: User = Depends(require_roles(roles.ADMINISTRATOR, roles.COORDINATOR, roles.AGENCY_OFFICER, roles.AUDITOR,
                                                   scope="plan:read"))) -> sc.AgencyProfileOut:
    agency = svc.get_agency(session, code)
    return sc.profile_out(agency, svc.agency_profile(session, agency))


@router.put("/agencies/{code}/profile", response_model=sc.AgencyProfileOut,
            summary="Update an agency's profile (its own officers, or the coordinator)",
            responses={403: {"description": "another agency's profile"}})
def put_profile(code: str, body: sc.AgencyProfileIn, session: Session = Depends(get_session),
                user: User = Depends(require_scope("plan:write"))) -> sc.AgencyProfileOut:
    agency = svc.get_agency(session, code)
    prof = svc.update_agency_profile(session, agency, user, body.model_dump(exclude_none=True))
    return sc.profile_out(agency, prof)


@router.get("/timeline", response_model=list[sc.TimelineOut], summary="Governance timeline of the plan")
def get_timeline(session: Session = Depends(get_session)) -> list[sc.TimelineOut]:
    return [sc.timeline_out(e) for e in svc.timeline(session)]


@router.get("/definitions", response_model=list[sc.TermOut], summary="The plan's definitions (shared taxonomy)")
def get_definitions(session: Session = Depends(get_session)) -> list[sc.TermOut]:
    terms = svc.definitions(session)
    by_id = {t.id: t.code for t in terms}
    return [sc.TermOut(code=t.code, parent=by_id.get(t.parent_id) if t.parent_id else None, title_en=t.title_en,
                       title_ja=t.title_ja, description_en=t.description_en, description_ja=t.description_ja) for t in terms]


@router.get("/prefectures", response_model=list[sc.PrefectureOut], summary="Japan's 47 prefectures")
def get_prefectures(session: Session = Depends(get_session)) -> list[sc.PrefectureOut]:
    return [sc.PrefectureOut(code=p.code, name_en=p.name_en, name_ja=p.name_ja, region_en=p.region_en,
                             region_ja=p.region_ja) for p in svc.prefectures(session)]


@router.patch("/plans/{key}", response_model=sc.PlanOut, summary="Change a plan's record (coordinator; reason required)",
              responses={403: {"description": "not the plan office"}})
def patch_plan(key: str, body: sc.PlanUpdateIn, session: Session = Depends(get_session),
               user: User = Depends(require_scope("plan:write"))) -> sc.PlanOut:
    plan = svc.get_plan(session, key)
    svc.update_plan(session, plan, user, body.model_dump(exclude={"reason"}, exclude_none=True), body.reason)
    return sc.plan_out(plan, svc.measure_counts(session).get(plan.id, 0))


@router.patch("/plans/{key}/pillars/{number}", response_model=sc.PillarOut,
              summary="Change a pillar's title (coordinator; reason required)", responses={403: {"description": "not the plan office"}})
def patch_pillar(key: str, number: int, body: sc.PillarUpdateIn, session: Session = Depends(get_session),
                 user: User = Depends(require_scope("plan:write"))) -> sc.PillarOut:
    pillar = svc.get_pillar(session, svc.get_plan(session, key), number)
    svc.update_pillar(session, pillar, user, body.model_dump(exclude={"reason"}, exclude_none=True), body.reason)
    return sc.pillar_out(pillar, key, date.today(), False)


@router.patch("/agencies/{code}", response_model=sc.AgencyOut, summary="Change an agency's names or validity (coordinator)",
              responses={403: {"description": "not the plan office"}})
def patch_agency(code: str, body: sc.AgencyUpdateIn, session: Session = Depends(get_session),
                 user: User = Depends(require_scope("plan:write"))) -> sc.AgencyOut:
    agency = svc.get_agency(session, code)
    svc.update_agency(session, agency, user, body.model_dump(exclude_none=True))
    return sc.agency_out(agency)


@router.put("/measures/{uid}/agencies/{code}/succession", response_model=sc.MeasureOut,
            summary="Record the agency succession that applies to one of a measure's agencies (coordinator; reason required)",
            responses={403: {"description": "not the plan office"}, 404: {"description": "no such measure"}})
def put_succession(uid: str, code: str, body: sc.SuccessionIn, session: Session = Depends(get_session),
                   user: User = Depends(require_scope("plan:write"))) -> sc.MeasureOut:
    m = svc.get_measure(session, uid)
    succ_svc.set_succession(session, m, code, body.succession, user, body.reason)
    plan = session.get(Plan, m.plan_id)
    assert plan is not None
    return sc.measure_out(svc.get_measure(session, uid), plan.key, m.pillar.number, date.today())


@router.patch("/timeline/{event}", response_model=sc.TimelineOut,
              summary="Correct a timeline event (coordinator; reason required)",
              responses={403: {"description": "not the plan office"}, 404: {"description": "no such event"}})
def patch_timeline_event(event: str, body: sc.TimelineUpdateIn, session: Session = Depends(get_session),
                         user: User = Depends(require_scope("plan:write"))) -> sc.TimelineOut:
    e = timeline_svc.get_event(session, event)
    timeline_svc.update_event(session, e, user, body.model_dump(exclude={"reason"}, exclude_none=True), body.reason)
    return sc.timeline_out(e)
