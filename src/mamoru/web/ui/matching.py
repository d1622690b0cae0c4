"""Pages of hash matching for hotline staff: the banks, their sizes, and matches per platform."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.matching import runtime, service
from mamoru.web.deps import get_session, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
READERS = (roles.ANALYST, roles.SENIOR_ANALYST, roles.ADMINISTRATOR, roles.AUDITOR)


@router.get("/matching", response_class=HTMLResponse)
def banks_page(request: Request, session: Session = Depends(get_session),
               user: User = Depends(require_roles(*READERS))) -> Response:
    return render(request, "pages/matching/banks.html", {
        "banks": service.list_banks(session), "version": service.current_version(session),
        "snapshot": runtime.latest_snapshot(session), "counts": service.match_counts(session)})
