"""Pages of the WePROTECT alignment (coverage with the capabilities no measure addresses, mapping,
dated maturity self-assessments) and of the consultation services the portal shows (prefectural
services kept by the plan office; national ones come with the data). Awareness material has its own
page (followup_materials.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.followup import alignment as asvc
from mamoru.followup import publication as pub
from mamoru.followup.materials import add_material
from mamoru.plan import service as plan_svc
from mamoru.web import forms
from mamoru.web.deps import get_session, require_roles
from mamoru.web.followup.ui_rounds import CSS, STAFF
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


def _alignment_page(request: Request, session: Session, problems: Any = (), status: int = 200) -> Response:
    cov = asvc.coverage(session)
    plan = plan_svc.default_plan(session)
    return render(request, "pages/followup/alignment.html", {
        "coverage": cov, "gaps": [c for c in cov if not c.measures], "phases": asvc.PHASES, "css": CSS,
        "measures": [m for p in plan_svc.plan_pillars(session, plan) for m in p.measures],
        "today": date.today(), "problems": list(problems)}, status_code=status)


@router.get("/followup/alignment", response_class=HTMLResponse)
def alignment_page(request: Request, session: Session = Depends(get_session),
                   user: User = Depends(require_roles(*STAFF))) -> Response:
    return _alignment_page(request, session)


@router.get("/followup/alignment/maturity", response_class=HTMLResponse)
def maturity_page(request: Request, session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*STAFF))) -> Response:
    return render(request, "pages/followup/maturity.html", {"coverage": asvc.coverage(session), "phases": asvc.PHASES,
                                                            "today": date.today(), "css": CSS})


@router.post("/followup/alignment", response_class=HTMLResponse)
def alignment_set(request: Request, action: str = Form(...), capability: int = Form(0), measure: str = Form(""),
                  phase: int = Form(0), assessed_on: str = Form(""), note: str = Form(""),
                  session: Session = Depends(get_session),
                  user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def change() -> None:
        if action in ("confirm", "confirm_all"):
            asvc.confirm(session, user, capability if action == "confirm" else None)
        elif action == "assess":
            day = date.fromisoformat(assessed_on) if assessed_on else date.today()
            asvc.assess(session, user, capability, phase, day, note)
        else:
            asvc.map_measure(session, user, plan_svc.get_measure(session, measure), capability, action == "map")

    target = "/followup/alignment/maturity" if action == "assess" else "/followup/alignment"
    return forms.submit(session, change, done=f"{target}#cap-{capability}",
                        again=lambda problems, _: _alignment_page(request, session, problems, 422))


def _services_page(request: Request, session: Session, problems: Any = (), status: int = 200) -> Response:
    return render(request, "pages/followup/services.html", {
        "services": pub.services(session, include_inactive=True),
        "prefectures": pub.prefectures(session), "css": CSS, "problems": list(problems)}, status_code=status)


@router.get("/followup/help-services", response_class=HTMLResponse)
def services_page(request: Request, session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*STAFF))) -> Response:
    return _services_page(request, session)


@router.post("/followup/help-services", response_class=HTMLResponse)
def services_add(request: Request, kind: str = Form(...), prefecture: str = Form(""), name_ja: str = Form(""),
                 name_en: str = Form(""), phone: str = Form(""), hours_ja: str = Form(""), hours_en: str = Form(""),
                 what_ja: str = Form(""), what_en: str = Form(""), url: str = Form(""), measure: str = Form(""),
                 title_ja: str = Form(""), title_en: str = Form(""), audience: str = Form("families"),
                 session: Session = Depends(get_session),
                 user: User = Depends(require_roles(roles.COORDINATOR, roles.AGENCY_OFFICER))) -> Response:
    def add() -> None:
        if kind == "material":  # forms of earlier pages; material is kept on /followup/materials now
            add_material(session, user, measure or None, title_en, title_ja, url, audience)
        else:
            pub.add_service(session, user, prefecture, name_en, name_ja, phone, hours_en, hours_ja, what_en,
                            what_ja, url)

    return forms.submit(session, add, done="/followup/help-services",
                        again=lambda problems, status: _services_page(request, session, problems,
                                                                      403 if status == 403 else 422))


@router.post("/followup/help-services/{key}", response_class=HTMLResponse)
def services_edit(key: str, request: Request, name_ja: str = Form(...), name_en: str = Form(""),
                  phone: str = Form(...), hours_ja: str = Form(""), hours_en: str = Form(""), what_ja: str = Form(""),
                  what_en: str = Form(""), url: str = Form(""), active: str = Form(""),
                  session: Session = Depends(get_session),
                  user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    fields = {"name_ja": name_ja, "name_en": name_en or name_ja, "phone": phone, "hours_ja": hours_ja,
              "hours_en": hours_en, "what_ja": what_ja, "what_en": what_en, "url": url, "active": bool(active)}
    return forms.submit(session, lambda: pub.update_service(session, user, key, fields),
                        done=f"/followup/help-services#svc-{key}",
                        again=lambda problems, status: _services_page(request, session, problems, status))
