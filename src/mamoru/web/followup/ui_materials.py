"""Pages for keeping the awareness material the portal shows: the list by state, adding material as a
draft, changing it, publishing it or taking it off the portal, and retiring it for good. The plan
office keeps any material; an agency officer their own agency's (materials.py decides)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import DomainError
from mamoru.followup import materials as msvc
from mamoru.plan import service as plan_svc
from mamoru.web.deps import get_session, require_roles
from mamoru.web.followup.ui_rounds import CSS, STAFF
from mamoru.web.forms import problems_of
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
KEEPERS = (roles.COORDINATOR, roles.AGENCY_OFFICER)


def _page(request: Request, session: Session, user: User, state: str = "", problems: Any = (),
          status: int = 200) -> Response:
    rows = msvc.materials(session, state=state if state in msvc.STATES else None)
    plan = plan_svc.default_plan(session)
    measures = [m for p in plan_svc.plan_pillars(session, plan) for m in p.measures]
    return render(request, "pages/followup/materials.html", {
        "materials": rows, "state_of": msvc.state_of, "changeable": msvc.changeable(session, user, rows),
        "measures": msvc.linkable(session, user, measures), "agencies": plan_svc.agencies(session),
        "audiences": msvc.AUDIENCES, "states": msvc.STATES, "state": state, "css": CSS,
        "problems": list(problems)}, status_code=status)


def _refused(request: Request, session: Session, user: User, exc: DomainError) -> Response:
    session.rollback()
    return _page(request, session, user, problems=problems_of(exc), status=exc.status)


@router.get("/followup/materials", response_class=HTMLResponse)
def materials_page(request: Request, state: str = "", session: Session = Depends(get_session),
                   user: User = Depends(require_roles(*STAFF))) -> Response:
    return _page(request, session, user, state)


@router.post("/followup/materials", response_class=HTMLResponse)
def material_add(request: Request, measure: str = Form(""), agency: str = Form(""), title_ja: str = Form(""),
                 title_en: str = Form(""), url: str = Form(""), audience: str = Form("families"),
                 session: Session = Depends(get_session), user: User = Depends(require_roles(*KEEPERS))) -> Response:
    try:
        m = msvc.add_material(session, user, measure or None, title_en, title_ja, url, audience, agency or None)
    except DomainError as exc:
        return _refused(request, session, user, exc)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/materials#material-{m.id}", status_code=303)


@router.post("/followup/materials/{material_id}", response_class=HTMLResponse)
def material_edit(material_id: int, request: Request, measure: str = Form(""), agency: str = Form(""),
                  title_ja: str = Form(""), title_en: str = Form(""), url: str = Form(""),
                  audience: str = Form("families"), session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*KEEPERS))) -> Response:
    values = {"measure": measure, "title_ja": title_ja, "title_en": title_en, "url": url, "audience": audience}
    if user.role == roles.COORDINATOR:
        values["agency"] = agency  # an officer's own agency is recorded whatever the form says
    try:
        m = msvc.material_to_change(session, user, material_id)
        msvc.update_material(session, user, m, values)
    except DomainError as exc:
        return _refused(request, session, user, exc)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/materials#material-{material_id}", status_code=303)


@router.post("/followup/materials/{material_id}/state", response_class=HTMLResponse)
def material_state(material_id: int, request: Request, action: str = Form(...), reason: str = Form(""),
                   session: Session = Depends(get_session), user: User = Depends(require_roles(*KEEPERS))) -> Response:
    try:
        m = msvc.material_to_change(session, user, material_id)
        if action == "retire":
            msvc.retire_material(session, user, m, reason)
        elif action in ("publish", "unpublish"):
            msvc.set_published(session, user, m, action == "publish")
        else:
            return _page(request, session, user, problems=[f"unknown action {action!r}"], status=422)
    except DomainError as exc:
        return _refused(request, session, user, exc)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/materials#material-{material_id}", status_code=303)
