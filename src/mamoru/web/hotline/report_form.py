"""The public report form (/report) and its receipt: the only pages of the `intake` process role.

The same form serves two ways of storing. In an intake process (MAMORU_ROLE=intake), which holds no
credentials for cases, it validates the report, seals the contact with the hotline's public key and
inserts one row into the hotline's inbox (hotline/inbox.py); the hotline worker makes the case. In
the hotline process (and `all`, `make run`) it stores the report and its case at once, as before,
so the receipt works and the case is in the analysts' queue straight away. Both give the same
answers: 422 for bad input, 413 for an oversize form, 429 past the rate limit; nothing is stored
on a refusal.

The intake process never looks a visitor up: no session cookie is read (its database user may not
read sessions), and the form's CSRF check is the anonymous double-submit cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.db import Database
from mamoru.errors import InvalidInput
from mamoru.hotline import inbox, intake
from mamoru.hotline.ratelimit import client_key
from mamoru.hotline.runtime import HotlineRuntime, PublicFormRuntime, for_app, for_public_form
from mamoru.i18n import gettext, reason_text
from mamoru.web.clients import request_address
from mamoru.web.deps import (
    Principal,
    check_csrf,
    csrf_token_sent,
    get_lang,
    get_principal,
    get_session,
    in_thread,
)
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 20_000


def prepare(state: Any) -> None:
    """Build the intake's runtime when the app is made, so that a missing or bad public contact key
    stops the process at start instead of failing the first reporter."""
    for_public_form(state)


def is_intake(request: Request) -> bool:
    return bool(request.app.state.settings.role == "intake")


def reporter(request: Request, session: Session = Depends(get_session),
             sent: str | None = Depends(csrf_token_sent)) -> None:
    """CSRF for the form; outside the intake process a signed-in visitor is recognised as on any page."""
    principal = Principal(user=None) if is_intake(request) else get_principal(request, session)
    check_csrf(request, principal, sent)


def _form_page(request: Request, values: dict[str, str], problems: list[str], status: int = 200) -> Response:
    return render(request, "pages/hotline/report.html", {"values": values, "problems": problems,
                                                         "content_types": intake.CONTENT_TYPES}, status_code=status)


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, _: None = Depends(reporter)) -> Response:
    return _form_page(request, {}, [])


def _store_now(request: Request, session: Session, inp: intake.ReportInput) -> str:
    """The hotline process: the report and its case at once (intake.receive: the police alerted at once)."""
    rt = for_app(request.app.state)
    [report] = intake.receive(session, [inp], "public", rt.settings, contacts=rt.contacts, mailer=rt.mailer).reports
    return report.receipt


@router.post("/report", response_class=HTMLResponse)
async def report_submit(request: Request, url: str = Form(""), content_type: str = Form(""),
                        where_found: str = Form(""), description: str = Form(""), contact: str = Form(""),
                        immediate_danger: str = Form(""), sent: str | None = Depends(csrf_token_sent)) -> Response:
    # The intake's hot route: the form is parsed here on the event loop; the CSRF check, the rate
    # limit, the one INSERT and the receipt page happen in ONE hop into the thread pool, in one
    # transaction committed before the answer (docs/performance.md, the concurrency sweep).
    values = {"url": url, "content_type": content_type, "where_found": where_found, "description": description,
              "contact": contact, "immediate_danger": immediate_danger}
    return await in_thread(_submit, request, values, sent)


def _submit(request: Request, values: dict[str, str], sent: str | None) -> Response:
    db: Database = request.app.state.database
    rt = for_public_form(request.app.state)
    if is_intake(request) and not isinstance(rt, HotlineRuntime):
        # The intake process: no visitor is looked up (the anonymous CSRF cookie), and the report is
        # one INSERT into the inbox on the short pool (db.Database.short: autocommit, no BEGIN, no
        # COMMIT, no ping), answered with the receipt page once it is stored.
        check_csrf(request, Principal(user=None), sent)
        return _accept(request, rt, db.short, values)
    with db.session() as session:
        reporter(request, session, sent)  # the form's CSRF check, as on GET
        return _accept(request, rt, lambda store: store(session), values, session)


def _accept(request: Request, rt: HotlineRuntime | PublicFormRuntime, within: Callable[[Callable[[Any], str]], str], values: dict[str, str],
            session: Session | None = None) -> Response:
    """The report checked, limited and stored: `within(store)` runs `store(db)` on a session or a
    Core connection; `session`, the hotline process's, stores the report and its case at once."""
    lang = get_lang(request)
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return _form_page(request, {}, [gettext(lang, "The report is too large. Shorten the description and try again.")], 413)
    limit, window = rt.settings.public_rate
    address = request_address(request)  # behind a trusted proxy, the reporter's (MAMORU_TRUSTED_PROXIES)
    if not rt.limiter.allow("public:" + client_key(rt.secret, address), limit, window):
        return _form_page(request, values, [gettext(lang, "Too many reports from this connection. Please try again later.")], 429)
    inp = intake.ReportInput(url=values["url"], content_type=values["content_type"], where_found=values["where_found"],
                             description=values["description"], contact=values["contact"],
                             immediate_danger=bool(values["immediate_danger"]))
    try:
        if isinstance(rt, HotlineRuntime) and session is not None:
            receipt = _store_now(request, session, inp)
        else:
            receipt = within(lambda db: inbox.accept_public(db, inp, rt.contacts))
    except InvalidInput as exc:
        if session is not None:
            session.rollback()
        return _form_page(request, values, [reason_text(lang, p) for p in exc.problems], 422)
    return render(request, "pages/hotline/receipt.html", {"receipt": receipt})
