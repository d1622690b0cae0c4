"""The portal's open data: one page listing every dataset (CSV and JSON, the licence, the time of the
last change in Japan time) and the files themselves under stable URLs, /portal/data/{key}.{csv,json}
(plan, indicators, round-ID). Served by the portal process on the public listener; public data only."""

from __future__ import annotations

from email.utils import format_datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.errors import NotFound
from mamoru.followup import opendata
from mamoru.web.deps import current_user_optional, get_session, live_providers
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
CSS = "/static/followup.css"
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@router.get("/portal/data", response_class=HTMLResponse)
def data_page(request: Request, session: Session = Depends(get_session),
              user: User | None = Depends(current_user_optional)) -> Response:
    return render(request, "pages/portal/data.html", {"listing": opendata.listing(session), "css": CSS,
                                                      "licence_url": opendata.LICENCE_URL,
                                                      "licence": {"en": opendata.LICENCE_EN, "ja": opendata.LICENCE_JA}})


@router.get("/portal/data/{key}.{fmt}")
def data_file(key: str, fmt: str, request: Request, session: Session = Depends(get_session)) -> Response:
    """One dataset as CSV (UTF-8, no byte order mark) or JSON; 404 for anything not public."""
    if fmt not in opendata.FORMATS:
        raise NotFound(f"no format {fmt!r}: csv or json")
    ds = opendata.dataset(session, key, live_providers(request))
    headers = {"Content-Disposition": f'inline; filename="mamoru-{ds.key}.{fmt}"',
               "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
    if ds.changed_at is not None:
        headers["Last-Modified"] = format_datetime(ds.changed_at, usegmt=True)
    return Response(ds.csv() if fmt == "csv" else ds.json(), media_type=MEDIA[fmt], headers=headers)
