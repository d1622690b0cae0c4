"""Each indicator's own public page on the portal (chart on a true time axis, table, breakdowns,
metadata, target, withdrawals noted) and its downloads as CSV and JSON under stable URLs:
/portal/indicators/{code}, .../data.csv, .../data.json. Approved values only (mamoru.followup.indicator_data);
served by the portal process on the public listener, read-only."""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.followup import indicator_data as data
from mamoru.followup import indicator_rules as rules
from mamoru.followup.reference import prefecture_grid
from mamoru.i18n import gettext, pick
from mamoru.web.deps import current_user_optional, get_lang, get_session, live_providers
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
CSS = "/static/followup.css"
DOWNLOAD_HEADERS = {"Content-Security-Policy": "default-src 'none'", "Access-Control-Allow-Origin": "*"}


@cache
def _prefecture_names() -> dict[str, tuple[str, str]]:
    return {code: (ja, en) for code, ja, en, _x, _y in prefecture_grid()}


def category_label(category: str, lang: str) -> str:
    """A breakdown key as a reader says it: the prefecture's name, or the key's label in `lang`."""
    dim, key = rules.dimension_of(category)
    if dim == "prefecture":
        ja, en = _prefecture_names().get(key, (key, key))
        return ja if lang == "ja" else en
    return gettext(lang, f"category:{category}")


def _dataset(request: Request, session: Session, code: str) -> data.Dataset:
    return data.get_dataset(session, code, live_providers(request))


@router.get("/portal/indicators/{code}", response_class=HTMLResponse)
def indicator_page(code: str, request: Request, session: Session = Depends(get_session),
                   user: User | None = Depends(current_user_optional)) -> Response:
    ds = _dataset(request, session, code)
    lang = get_lang(request)
    ind = ds.indicator
    svg = data.chart(ds, pick(ind, "title", lang), pick(ind, "unit", lang), gettext(lang, "Target value"),
                     gettext(lang, "Provisional")) if ds.totals else ""
    return render(request, "pages/portal/indicator.html", {
        "ds": ds, "ind": ind, "svg": svg, "css": CSS, "label": lambda c: category_label(c, lang),
        "dimension_label": lambda d: gettext(lang, f"dimension:{d}"),
        "period_form": rules.period_form(ind.period_type, ind.periodicity),
        "dims": sorted({rules.dimension_of(c)[0] for c in rules.categories(ind.breakdown or [])})})


@router.get("/portal/indicators/{code}/data.csv")
def indicator_csv(code: str, request: Request, session: Session = Depends(get_session)) -> Response:
    """The indicator's public figures as CSV, UTF-8 without a byte-order mark."""
    body = data.csv_text(_dataset(request, session, code)).encode("utf-8")
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        **DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="mamoru-indicator-{code}.csv"'})


@router.get("/portal/indicators/{code}/data.json")
def indicator_json(code: str, request: Request, session: Session = Depends(get_session)) -> Response:
    """The indicator's metadata (both languages), public figures and withdrawals as JSON."""
    body = json.dumps(data.json_data(_dataset(request, session, code)), ensure_ascii=False, indent=1)
    return Response(body.encode("utf-8"), media_type="application/json", headers={
        **DOWNLOAD_HEADERS, "Content-Disposition": f'inline; filename="mamoru-indicator-{code}.json"'})
