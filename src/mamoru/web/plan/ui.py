"""Pages of the plan registry: overview matrix, pillars, measures, agencies, timeline, definitions."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, NotFound
from mamoru.followup import history
from mamoru.followup import materials as msvc
from mamoru.plan import service as svc
from mamoru.plan.models import Measure, Plan
from mamoru.web.deps import current_user_optional, get_session, live_providers, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


def _visible(plan: Plan, user: User | None) -> None:
    if plan.status == "draft" and (user is None or user.role in (roles.PLATFORM, roles.SUBSCRIBER)):
        raise NotFound(f"no plan {plan.key!r}")


def _plan_page(request: Request, session: Session, plan: Plan, user: User | None) -> Response:
    _visible(plan, user)
    matrix = svc.matrix(session, plan)
    counts = svc.measure_counts(session)
    all_plans = [p for p in svc.plans(session) if p.status != "draft" or (user and user.role not in (roles.PLATFORM, roles.SUBSCRIBER))]
    return render(request, "pages/plan.html", {"plan": plan, "matrix": matrix, "counts": counts,
                                               "plans": all_plans, "loaded": counts.get(plan.id, 0),
                                               "today": date.today()})


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: Session = Depends(get_session), user: User | None = Depends(current_user_optional)) -> Response:
    try:
        plan = svc.default_plan(session)
    except NotFound:
        return render(request, "pages/empty.html", {})
    return _plan_page(request, session, plan, user)


@router.get("/plans/{key}", response_class=HTMLResponse)
def plan_page(key: str, request: Request, session: Session = Depends(get_session),
              user: User | None = Depends(current_user_optional)) -> Response:
    return _plan_page(request, session, svc.get_plan(session, key), user)


@router.get("/plans/{key}/pillars/{number}", response_class=HTMLResponse)
def pillar_page(key: str, number: int, request: Request, session: Session = Depends(get_session),
                user: User | None = Depends(current_user_optional)) -> Response:
    plan = svc.get_plan(session, key)
    _visible(plan, user)
    return render(request, "pages/pillar.html", {"plan": plan, "pillar": svc.get_pillar(session, plan, number),
                                                 "today": date.today(), "problems": []})


@router.get("/measures/{uid}", response_class=HTMLResponse)
def measure_page(uid: str, request: Request, session: Session = Depends(get_session),
                 user: User | None = Depends(current_user_optional)) -> Response:
    m = svc.get_measure(session, uid)
    plan = session.get(Plan, m.plan_id)
    assert plan is not None
    _visible(plan, user)
    can_amend = user is not None and roles.can_edit_plan_text(user.role)
    return render(request, "pages/measure.html", {"plan": plan, "m": m, "today": date.today(),
                                                  "can_amend": can_amend, "problems": [],
                                                  "successors": svc.successors(session, m),
                                                  **_materials(session, m, user, request)})


def _materials(session: Session, m: Measure, user: User | None, request: Request) -> dict[str, Any]:
    """The awareness material the measure produces (drafts too for staff) and who may keep it, and the
    measure's history (staff also see accepted entries of rounds not yet published)."""
    keeps = user is not None and user.role in (roles.COORDINATOR, roles.AGENCY_OFFICER) and bool(
        msvc.linkable(session, user, [m]))
    return {"materials": msvc.for_measure(session, m, include_drafts=msvc.sees_drafts(user)),
            "keeps_material": keeps,
            "h": history.measure_history(session, m, not msvc.sees_drafts(user), live_providers(request))}


@router.post("/measures/{uid}/amend", response_class=HTMLResponse)
def measure_amend(uid: str, request: Request, reason: str = Form(""), title_en: str = Form(...),
                  title_ja: str = Form(""), description_en: str = Form(""), description_ja: str = Form(""),
                  code: str = Form(...), amended_on: str = Form(""), session: Session = Depends(get_session),
                  user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    m = svc.get_measure(session, uid)
    values = {"title_en": title_en.strip(), "title_ja": title_ja.strip(), "description_en": description_en.strip(),
              "description_ja": description_ja.strip(), "code": code.strip()}
    try:
        day = date.fromisoformat(amended_on) if amended_on else None
        svc.amend_measure(session, m, user, values, reason, day)
    except (InvalidInput, ValueError) as exc:
        session.rollback()
        problems = exc.problems if isinstance(exc, InvalidInput) else []
        plan = session.get(Plan, m.plan_id)
        m = svc.get_measure(session, uid)
        return render(request, "pages/measure.html", {"plan": plan, "m": m, "today": date.today(),
                                                      "can_amend": True, "problems": problems or [str(exc)],
                                                      "successors": [], **_materials(session, m, user, request)},
                      status_code=422)
    return RedirectResponse(f"/measures/{uid}", status_code=303)


@router.get("/agencies", response_class=HTMLResponse)
def agencies_page(request: Request, session: Session = Depends(get_session),
                  user: User | None = Depends(current_user_optional)) -> Response:
    return render(request, "pages/agencies.html", {"agencies": svc.agencies(session)})


@router.get("/agencies/{code}", response_class=HTMLResponse)
def agency_page(code: str, request: Request, session: Session = Depends(get_session),
                user: User | None = Depends(current_user_optional)) -> Response:
    agency = svc.get_agency(session, code)
    staff = user is not None and user.role in (roles.ADMINISTRATOR, roles.COORDINATOR, roles.AGENCY_OFFICER, roles.AUDITOR)
    can_edit = user is not None and roles.can_edit_agency_profile(user.role, user.agency_code, agency.code)
    return render(request, "pages/agency.html", {
        "agency": agency, "measures": svc.agency_measures(session, agency), "today": date.today(),
        "profile": svc.agency_profile(session, agency) if staff else None, "can_edit": can_edit, "problems": []})


@router.post("/agencies/{code}/profile", response_class=HTMLResponse)
def agency_profile_update(code: str, request: Request, focal_point: str = Form(""), division: str = Form(""),
                          contact_email: str = Form(""), contact_phone: str = Form(""), notes: str = Form(""),
                          session: Session = Depends(get_session),
                          user: User = Depends(require_roles(roles.COORDINATOR, roles.AGENCY_OFFICER))) -> Response:
    agency = svc.get_agency(session, code)
    values = dict(focal_point=focal_point, division=division, contact_email=contact_email,
                  contact_phone=contact_phone, notes=notes)
    try:
        svc.update_agency_profile(session, agency, user, values)
    except InvalidInput as exc:
        session.rollback()
        return render(request, "pages/agency.html", {
            "agency": agency, "measures": svc.agency_measures(session, agency), "today": date.today(),
            "profile": svc.agency_profile(session, agency), "can_edit": True, "problems": exc.problems},
            status_code=422)
    return RedirectResponse(f"/agencies/{agency.code}", status_code=303)


@router.get("/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, session: Session = Depends(get_session),
                  user: User | None = Depends(current_user_optional)) -> Response:
    return _timeline(request, session, user)


def _timeline(request: Request, session: Session, user: User | None, failed: str | None = None,
              problems: list[object] | None = None) -> Response:
    from mamoru.plan import timeline as tl

    editing = user is not None and user.role == roles.COORDINATOR
    return render(request, "pages/timeline.html", {
        "events": svc.timeline(session), "can_edit": editing, "bodies": tl.bodies(session) if editing else [],
        "precisions": tl.PRECISIONS, "failed": failed, "problems": problems or []},
        status_code=422 if problems else 200)


@router.get("/definitions", response_class=HTMLResponse)
def definitions_page(request: Request, session: Session = Depends(get_session),
                     user: User | None = Depends(current_user_optional)) -> Response:
    return render(request, "pages/definitions.html", {"terms": svc.definitions(session),
                                                      "prefectures": svc.prefectures(session)})


@router.post("/plans/{key}/pillars/{number}/edit", response_class=HTMLResponse)
def pillar_edit(key: str, number: int, request: Request, title_en: str = Form(...), title_ja: str = Form(""),
                reason: str = Form(""), session: Session = Depends(get_session),
                user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    plan = svc.get_plan(session, key)
    pillar = svc.get_pillar(session, plan, number)
    try:
        svc.update_pillar(session, pillar, user, {"title_en": title_en.strip(), "title_ja": title_ja.strip()}, reason)
    except InvalidInput as exc:
        session.rollback()
        return render(request, "pages/pillar.html", {"plan": plan, "pillar": svc.get_pillar(session, plan, number),
                                                     "today": date.today(), "problems": exc.problems}, status_code=422)
    return RedirectResponse(f"/plans/{key}/pillars/{number}", status_code=303)


@router.post("/agencies/{code}/edit", response_class=HTMLResponse)
def agency_edit(code: str, request: Request, name_en: str = Form(...), name_ja: str = Form(...),
                valid_from: str = Form(""), valid_to: str = Form(""), session: Session = Depends(get_session),
                user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    agency = svc.get_agency(session, code)
    try:
        values = {"name_en": name_en.strip(), "name_ja": name_ja.strip(),
                  "valid_from": date.fromisoformat(valid_from) if valid_from else None,
                  "valid_to": date.fromisoformat(valid_to) if valid_to else None}
        svc.update_agency(session, agency, user, values)
    except (InvalidInput, ValueError) as exc:
        session.rollback()
        problems = exc.problems if isinstance(exc, InvalidInput) else [str(exc)]
        return render(request, "pages/agency.html", {
            "agency": agency, "measures": svc.agency_measures(session, agency), "today": date.today(),
            "profile": svc.agency_profile(session, agency), "can_edit": True, "problems": problems}, status_code=422)
    return RedirectResponse(f"/agencies/{agency.code}", status_code=303)


@router.post("/timeline/{event}/edit", response_class=HTMLResponse)
def timeline_edit(event: str, request: Request, on: str = Form(""), precision: str = Form("day"),
                  kind: str = Form(""), body: str = Form(""), title_en: str = Form(""), title_ja: str = Form(""),
                  description_en: str = Form(""), description_ja: str = Form(""), reason: str = Form(""),
                  session: Session = Depends(get_session), user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    from mamoru.plan import timeline as tl

    e = tl.get_event(session, event)
    values: dict[str, object] = {"precision": precision, "kind": kind.strip(), "body": body.strip(), "title_en": title_en,
                                 "title_ja": title_ja, "description_en": description_en, "description_ja": description_ja}
    try:
        values["date"] = date.fromisoformat(on)
        tl.update_event(session, e, user, values, reason)
    except (InvalidInput, ValueError) as exc:
        session.rollback()
        problems = exc.problems if isinstance(exc, InvalidInput) else ["date: must be a date (YYYY-MM-DD)"]
        return _timeline(request, session, user, failed=event, problems=list(problems))
    return RedirectResponse(f"/timeline#{event}", status_code=303)
