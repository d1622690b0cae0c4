"""Pages of a published round's errata: the corrections made to its report (reason, date, what they
correct) and, for the plan office, the form that adds one. Entries themselves never change once published."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import DomainError, Problem
from mamoru.followup import entries as esvc
from mamoru.followup import errata as svc
from mamoru.followup import rounds as rsvc
from mamoru.followup.models import ReportingRound
from mamoru.i18n import error_messages, problem_text
from mamoru.web.deps import get_lang, get_session, require_roles
from mamoru.web.followup.ui_rounds import CSS, STAFF
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, session: Session, r: ReportingRound, problems: Any = (), status: int = 200,
          typed: dict[str, str] | None = None) -> Response:
    accepted = esvc.round_entries(session, r, state="accepted") if r.published else []
    return render(request, "pages/followup/errata.html", {
        "r": r, "errata": svc.errata(session, r), "accepted": accepted, "label": rsvc.round_label,
        "problems": list(problems), "typed": typed or {}, "css": CSS}, status_code=status)


@router.get("/followup/rounds/{round_id}/errata", response_class=HTMLResponse)
def errata_page(round_id: int, request: Request, session: Session = Depends(get_session),
                user: User = Depends(require_roles(*STAFF))) -> Response:
    return _page(request, session, rsvc.get_round(session, round_id))


@router.post("/followup/rounds/{round_id}/errata", response_class=HTMLResponse)
def erratum_add(round_id: int, request: Request, entry: str = Form(""), text_ja: str = Form(""),
                text_en: str = Form(""), reason: str = Form(""), corrected_on: str = Form(""),
                session: Session = Depends(get_session),
                user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    r = rsvc.get_round(session, round_id)
    typed = {"entry": entry, "text_ja": text_ja, "text_en": text_en, "reason": reason, "corrected_on": corrected_on}

    try:
        day = date.fromisoformat(corrected_on) if corrected_on.strip() else None
        svc.add_erratum(session, user, r, reason=reason, text_ja=text_ja, text_en=text_en, entry_key=entry or None,
                        corrected_on=day)
    except (DomainError, ValueError) as exc:
        session.rollback()
        lang = get_lang(request)
        shown = error_messages(lang, exc) if isinstance(exc, DomainError) else \
            [problem_text(lang, Problem(None, "corrected_on", "a date YYYY-MM-DD"))]
        return _page(request, session, r, shown, exc.status if isinstance(exc, DomainError) else 422, typed)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/rounds/{round_id}/errata#errata", status_code=303)
