"""A reporter looks her report up with its receipt: /report/status (page) and /api/v1/report/status.

Served where the public form is (the intake process; also the hotline's and `all`). Anyone with a
receipt learns one word of hotline.workflow.public_status (received, assessed, acted on) with a
sentence on what it means, and nothing else: no address, verdict, date or case number. A receipt
that names no report, and text that is no receipt, get one neutral answer (404), the same on the
page and in the API, in the asker's language. Lookups are rate limited per client, like reports
(the keyed hash of the address nginx forwards, hotline.ratelimit.client_key), with their own
counter and limit (MAMORU_HOTLINE_STATUS_RATE): a guesser runs out long before a receipt's 80
random bits do. The receipt travels in a POST body, never in the address, so it is in no log or
browser history.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from mamoru.hotline import receipts
from mamoru.hotline import workflow as wf
from mamoru.hotline.ratelimit import client_key
from mamoru.hotline.runtime import for_public_form
from mamoru.i18n import gettext
from mamoru.web.clients import request_address
from mamoru.web.deps import get_lang, get_session
from mamoru.web.hotline.report_form import reporter
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/report", tags=["report status"])

MEANINGS = {
    wf.RECEIVED: "We have your report. An analyst has not assessed it yet.",
    wf.ASSESSED: "An analyst has assessed the address. This page does not say what the assessment found.",
    wf.ACTED_ON: "The address has been passed on for action: to the police, to a partner hotline abroad, "
                 "or to the site with a request to delete it.",
}
WORDS = {s: f"report-status:{s}" for s in wf.PUBLIC_STATUSES}  # keyed: "Received" is a column elsewhere
UNKNOWN = "There is no report with this receipt number."
TOO_MANY = "Too many lookups from this connection. Please try again later."


def _allowed(request: Request) -> bool:
    rt = for_public_form(request.app.state)
    limit, window = rt.settings.status_rate
    address = request_address(request)  # behind a trusted proxy, the asker's (MAMORU_TRUSTED_PROXIES)
    return rt.limiter.allow("status:" + client_key(rt.secret, address), limit, window)


def _page(request: Request, receipt: str, status: str | None, message: str | None, code: int = 200) -> Response:
    return render(request, "pages/hotline/report_status.html",
                  {"typed": receipt, "status": status, "word": WORDS.get(status or ""),
                   "meaning": MEANINGS.get(status or ""), "message": message}, status_code=code)


@router.get("/report/status", response_class=HTMLResponse)
def status_form(request: Request, _: None = Depends(reporter)) -> Response:
    return _page(request, "", None, None)


@router.post("/report/status", response_class=HTMLResponse)
def status_lookup(request: Request, receipt: str = Form(""), session: Session = Depends(get_session),
                  _: None = Depends(reporter)) -> Response:
    lang = get_lang(request)
    if not _allowed(request):
        return _page(request, receipt, None, gettext(lang, TOO_MANY), 429)
    status = receipts.public_status(session, receipt)
    if status is None:
        return _page(request, receipt, None, gettext(lang, UNKNOWN), 404)
    return _page(request, receipt, status, None)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receipt: str = Field(..., max_length=receipts.MAX_INPUT, description="The receipt number the report form gave.")


class StatusOut(BaseModel):
    status: str = Field(..., description="received, assessed or acted_on", examples=["received"])
    meaning: str = Field(..., description="What the state means, in the language asked for (Accept-Language).")


class Refusal(BaseModel):
    detail: str


@api.post("/status", response_model=StatusOut, summary="A public report's state, by its receipt",
          responses={404: {"model": Refusal, "description": "No report with this receipt (or no receipt)"},
                     429: {"model": Refusal, "description": "Too many lookups from this client"}})
def status_api(body: StatusIn, request: Request, session: Session = Depends(get_session)) -> Response:
    """One of three states and what it means; nothing else about the report. Anonymous, rate
    limited per client like the page."""
    lang = get_lang(request)
    if not _allowed(request):
        return JSONResponse({"detail": gettext(lang, TOO_MANY)}, status_code=429)
    status = receipts.public_status(session, body.receipt)
    if status is None:
        return JSONResponse({"detail": gettext(lang, UNKNOWN)}, status_code=404)
    return JSONResponse(StatusOut(status=status, meaning=gettext(lang, MEANINGS[status])).model_dump())
