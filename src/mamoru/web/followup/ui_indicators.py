"""Pages of the indicators (values with sources; corrections supersede) and of per-prefecture
status (table, tile map, publication to the public)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import InvalidInput
from mamoru.followup import indicators as isvc
from mamoru.followup import prefectures as psvc
from mamoru.plan import service as plan_svc
from mamoru.web import forms
from mamoru.web.deps import get_session, live_providers, require_roles
from mamoru.web.followup.ui_rounds import CSS, STAFF
from mamoru.web.templating import _lang, render

router = APIRouter(include_in_schema=False)


@router.get("/followup/indicators", response_class=HTMLResponse)
def indicators_page(request: Request, session: Session = Depends(get_session),
                    user: User = Depends(require_roles(*STAFF))) -> Response:
    rows = [(i, isvc.series(session, i, live_providers(request))) for i in isvc.indicators(session)]
    return render(request, "pages/followup/indicators.html", {"rows": rows, "problems": [], "css": CSS})


@router.post("/followup/indicators/values", response_class=HTMLResponse)
def indicator_value(request: Request, code: str = Form(...), period: str = Form(...), value: float = Form(...),
                    status: str = Form("final"), source: str = Form(""), published_on: str = Form(""),
                    category: str = Form(""), session: Session = Depends(get_session),
                    user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def add() -> None:
        day = date.fromisoformat(published_on) if published_on else None
        isvc.add_value(session, user, isvc.get_indicator(session, code), period, value, status, source, day, category)

    def again(problems: forms.Problems, _: int) -> Response:
        rows = [(i, isvc.series(session, i, live_providers(request))) for i in isvc.indicators(session)]
        return render(request, "pages/followup/indicators.html", {"rows": rows, "problems": problems, "css": CSS},
                      status_code=422)

    return forms.submit(session, add, done=f"/followup/indicators#ind-{code}", again=again,
                        refusals=(InvalidInput, ValueError))


@router.get("/followup/prefectures", response_class=HTMLResponse)
def prefectures_page(request: Request, measure: str | None = None, session: Session = Depends(get_session),
                     user: User = Depends(require_roles(*STAFF))) -> Response:
    plan = plan_svc.default_plan(session)
    all_measures = [m for p in plan_svc.plan_pillars(session, plan) for m in p.measures]
    chosen = plan_svc.get_measure(session, measure) if measure else None
    rows = psvc.table(session, chosen) if chosen else []
    lang = _lang(request)
    svg = psvc.svg_map(rows, lang, chosen.code) if chosen else ""
    return render(request, "pages/followup/prefectures.html", {
        "measures": all_measures, "chosen": chosen, "rows": rows, "svg": svg, "statuses": psvc.STATUSES,
        "with_status": psvc.measures_with_status(session),
        "published": bool(chosen and psvc.publication(session, chosen)), "counts": psvc.counts(rows) if rows else {}, "css": CSS})


@router.post("/followup/prefectures", response_class=HTMLResponse)
def prefecture_set(request: Request, measure: str = Form(...), prefecture: str = Form(...), status: str = Form(...),
                   since: str = Form(""), note: str = Form(""), session: Session = Depends(get_session),
                   user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    psvc.set_status(session, user, plan_svc.get_measure(session, measure), prefecture, status,
                    date.fromisoformat(since) if since else None, note)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/prefectures?measure={measure}", status_code=303)



@router.post("/followup/prefectures/publication", response_class=HTMLResponse)
def prefecture_publish(request: Request, measure: str = Form(...), publish: str = Form(...),
                       session: Session = Depends(get_session),
                       user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    psvc.publish(session, user, plan_svc.get_measure(session, measure), publish == "yes")
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/prefectures?measure={measure}", status_code=303)
