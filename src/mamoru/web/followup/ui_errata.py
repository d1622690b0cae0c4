"""Pages of a published round's errata: the corrections made to its report (reason, date, what they
correct) and, for the plan office, the form that adds one. Entries themselves never change once published."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.followup import entries as esvc
from mamoru.followup import errata as svc
from mamoru.followup import rounds as rsvc
from mamoru.followup.models import ReportingRound
from mamoru.web import forms
from mamoru.web.deps import get_session, require_roles
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

    def add() -> Any:
        day = date.fromisoformat(corrected_on) if corrected_on.strip() else None
        return svc.add_erratum(session, user, r, reason=reason, text_ja=text_ja, text_en=text_en,
                               entry_key=entry or None, corrected_on=day)

    return forms.submit(session, add, done=f"/followup/rounds/{round_id}/errata#errata",
                        again=lambda problems, status: _page(request, session, r, problems, status, typed))
