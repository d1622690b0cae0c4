"""Pages of the indicators (values entered as drafts, approved by a second person of the plan office,
withdrawn with a reason; approved corrections supersede) and of per-prefecture
status (table, tile map, publication to the public)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import DomainError
from mamoru.followup import indicator_rules as rules
from mamoru.followup import indicator_values as ivals
from mamoru.followup import indicators as isvc
from mamoru.followup import prefectures as psvc
from mamoru.i18n import error_messages, gettext
from mamoru.plan import service as plan_svc
from mamoru.web.deps import get_lang, get_session, live_providers, require_roles
from mamoru.web.followup.ui_rounds import CSS, STAFF
from mamoru.web.templating import _lang, render

router = APIRouter(include_in_schema=False)


@router.get("/followup/indicators", response_class=HTMLResponse)
def indicators_page(request: Request, session: Session = Depends(get_session),
                    user: User = Depends(require_roles(*STAFF))) -> Response:
    rows = [(i, isvc.series(session, i, live_providers(request)), len(ivals.drafts(i))) for i in isvc.indicators(session)]
    return render(request, "pages/followup/indicators.html", {"rows": rows, "css": CSS})


def _indicator_page(request: Request, session: Session, code: str, problems: list[str] | None = None,
                    status: int = 200) -> Response:
    ind = isvc.get_indicator(session, code)
    return render(request, "pages/followup/indicator.html", {
        "ind": ind, "points": isvc.series(session, ind, live_providers(request)), "problems": problems or [],
        "values": sorted(ind.values, key=lambda v: (v.period, v.category, v.id), reverse=True),
        "period_form": rules.period_form(ind.period_type, ind.periodicity),
        "categories": rules.categories(ind.breakdown or []), "css": CSS}, status_code=status)


@router.get("/followup/indicators/{code}", response_class=HTMLResponse)
def indicator_page(code: str, request: Request, session: Session = Depends(get_session),
                   user: User = Depends(require_roles(*STAFF))) -> Response:
    return _indicator_page(request, session, code)


@router.post("/followup/indicators/{code}/values", response_class=HTMLResponse)
def indicator_value(code: str, request: Request, period: str = Form(...), value: float = Form(...),
                    status: str = Form("final"), source: str = Form(""), published_on: str = Form(""),
                    category: str = Form(""), note: str = Form(""), corrects: str = Form(""),
                    session: Session = Depends(get_session),
                    user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def add() -> None:
        day = date.fromisoformat(published_on) if published_on else None
        ivals.add_value(session, user, isvc.get_indicator(session, code), period, value, status, source, day,
                        category, note, int(corrects) if corrects.strip() else None)

    return _submit(request, session, code, add, f"/followup/indicators/{code}#values")


@router.post("/followup/indicators/{code}/values/{value_id}/{step}", response_class=HTMLResponse)
def indicator_review(code: str, value_id: int, step: Literal["approve", "withdraw"], request: Request,
                     reason: str = Form(""), session: Session = Depends(get_session),
                     user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def review() -> None:
        ind = isvc.get_indicator(session, code)
        v = ivals.get_value(session, ind, value_id)
        if step == "approve":
            ivals.approve_value(session, user, ind, v)
        else:
            ivals.withdraw_value(session, user, ind, v, reason)

    return _submit(request, session, code, review, f"/followup/indicators/{code}#value-{value_id}")


def _submit(request: Request, session: Session, code: str, action: Callable[[], None], done: str) -> Response:
    """forms.submit, with the refusal's reasons in the reader's language (the page keeps what was typed)."""
    try:
        action()
    except (DomainError, ValueError) as exc:
        session.rollback()
        lang = get_lang(request)
        shown = error_messages(lang, exc) if isinstance(exc, DomainError) else [gettext(lang, BAD_VALUE)]
        return _indicator_page(request, session, code, shown, exc.status if isinstance(exc, DomainError) else 422)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(done, status_code=303)


BAD_VALUE = "A date or number could not be read: check the form and send it again."


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
