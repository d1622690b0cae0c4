"""A measure's history: the JSON (GET /api/v1/measures/{uid}/history, public data for everyone, staff
also see accepted entries of rounds not yet published) and the portal's page of it (/portal/measures/{uid},
published data only). The staff page is the measure page itself (mamoru.web.plan.ui)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.errors import NotFound
from mamoru.followup import history
from mamoru.followup import materials as msvc
from mamoru.plan import service as plan_svc
from mamoru.plan.models import Plan
from mamoru.web.deps import current_user_optional, get_session, live_providers
from mamoru.web.templating import render

api_router = APIRouter(prefix="/api/v1", tags=["plan"])
router = APIRouter(include_in_schema=False)
CSS = "/static/followup.css"


def _measure(session: Session, uid: str, public: bool) -> Any:
    m = plan_svc.get_measure(session, uid)
    plan = session.get(Plan, m.plan_id)
    if plan is None or (public and plan.status == "draft"):
        raise NotFound(f"no measure {uid!r}")
    return m


@api_router.get("/measures/{uid}/history", summary="A measure's history: round by round each agency's accepted "
                "status and narrative (with errata), linked indicators with their latest values, meetings' decisions "
                "and action items, capabilities, amendments (public: published data only)")
def measure_history(uid: str, request: Request, session: Session = Depends(get_session),
                    user: User | None = Depends(current_user_optional)) -> dict[str, Any]:
    public = not msvc.sees_drafts(user)
    m = _measure(session, uid, public)
    return history.history_out(history.measure_history(session, m, public, live_providers(request)))


@router.get("/portal/measures/{uid}", response_class=HTMLResponse)
def portal_measure(uid: str, request: Request, session: Session = Depends(get_session),
                   user: User | None = Depends(current_user_optional)) -> Response:
    m = _measure(session, uid, public=True)
    h = history.measure_history(session, m, True, live_providers(request))
    return render(request, "pages/portal/measure.html", {"h": h, "m": m, "css": CSS})
