"""The public portal under /portal: published rounds, indicators with charts, the plan, where to get
help, and awareness material. No login; drafts and unpublished data never appear here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.errors import NotFound
from mamoru.followup import charts, materials, publication, report
from mamoru.followup import indicators as isvc
from mamoru.followup.indicator_rules import time_point
from mamoru.followup.models import Indicator
from mamoru.followup.report import HEADLINE, build
from mamoru.followup.rounds import get_round, round_label
from mamoru.i18n import LANGS, gettext, pick
from mamoru.web.deps import current_user_optional, get_session, live_providers
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
CSS = "/static/followup.css"


def _lang(request: Request) -> str:
    from mamoru.web.templating import _lang as lang_of

    return lang_of(request)


def _charts(session: Session, lang: str, live: isvc.LiveProviders,
            codes: tuple[str, ...] | None = None) -> list[tuple[Indicator, str, list[isvc.Point]]]:
    out = []
    for ind in isvc.indicators(session):
        if codes is not None and ind.code not in codes:
            continue
        pts = isvc.series(session, ind, live)
        line = [(t.x, p.period, p.value, p.status == "provisional")  # on a true time axis, as on its own page
                for p in pts if not p.category and (t := time_point(p.period)) is not None]
        out.append((ind, charts.time_chart(pick(ind, "title", lang), line, pick(ind, "unit", lang), width=480,
                                           height=200, target=ind.target_value,
                                           target_label=gettext(lang, "Target value"),
                                           provisional_label=gettext(lang, "Provisional")) if line else "", pts))
    return out


@router.get("/portal", response_class=HTMLResponse)
def portal_home(request: Request, session: Session = Depends(get_session),
                user: User | None = Depends(current_user_optional)) -> Response:
    lang = _lang(request)
    return render(request, "pages/portal/home.html", {
        "rounds": publication.published_rounds(session), "label": round_label, "css": CSS,
        "charts": _charts(session, lang, live_providers(request), HEADLINE)})


@router.get("/portal/rounds/{round_id}", response_class=HTMLResponse)
def portal_round(round_id: int, request: Request, session: Session = Depends(get_session),
                 user: User | None = Depends(current_user_optional)) -> Response:
    r = get_round(session, round_id, published_only=True)
    data = build(session, r, _lang(request), public=True, live=live_providers(request))
    return render(request, "pages/portal/round.html", {"d": data, "css": CSS})


@router.get("/portal/rounds/{round_id}/report-{lang}.pdf")
def portal_report_pdf(round_id: int, lang: str, request: Request, session: Session = Depends(get_session)) -> Response:
    """The published report as a PDF in Japanese or English: what the round's page shows, accepted entries only."""
    if lang not in LANGS:
        raise NotFound(f"no report in {lang!r}")
    r = get_round(session, round_id, published_only=True)
    pdf = report.render(session, r, lang, "pdf", public=True, live=live_providers(request))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Security-Policy": "default-src 'none'",
        "Content-Disposition": f'attachment; filename="followup-round-{round_id}-{lang}.pdf"'})


@router.get("/portal/indicators", response_class=HTMLResponse)
def portal_indicators(request: Request, session: Session = Depends(get_session),
                      user: User | None = Depends(current_user_optional)) -> Response:
    return render(request, "pages/portal/indicators.html", {"charts": _charts(session, _lang(request), live_providers(request)), "css": CSS})


@router.get("/portal/help", response_class=HTMLResponse)
def portal_help(request: Request, session: Session = Depends(get_session),
                user: User | None = Depends(current_user_optional)) -> Response:
    prefs = {p.id: p for p in publication.prefectures(session)}
    return render(request, "pages/portal/help.html", {"services": publication.services(session), "prefs": prefs,
                                                      "css": CSS})


@router.get("/portal/awareness", response_class=HTMLResponse)
def portal_awareness(request: Request, session: Session = Depends(get_session),
                     user: User | None = Depends(current_user_optional)) -> Response:
    return render(request, "pages/portal/awareness.html", {"materials": materials.materials(session, True),
                                                           "css": CSS})
