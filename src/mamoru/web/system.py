"""Endpoints every process role serves: liveness, database check and the background workers' last
rounds (mamoru.workers), and the API documentation page (Swagger UI served from mamoru's own static
files, within its CSP: no outside request) with the document of the listener it is read on."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from mamoru import __version__, workers
from mamoru.db import utcnow
from mamoru.i18n import fmt_time_jst
from mamoru.web.deps import get_session
from mamoru.web.templating import render

router = APIRouter(prefix="/api/v1", tags=["system"])


class WorkerOut(BaseModel):
    name: str = Field(description="hotline, matching-snapshot, blocklist-review (the hotline's worker) or "
                                  "followup-reminders (the office's worker)")
    running: bool = Field(description="its last round is younger than three of its intervals")
    last_round_at: datetime = Field(description="when it last finished a round (UTC)")
    last_round_jst: str = Field(description="the same in Japan time, e.g. 2026-12-02 15:04 JST")
    interval_seconds: int
    rounds: int = Field(description="rounds since the worker process started")
    last_error: str = Field(description="what failed in the last round (empty: nothing)")


class HealthOut(BaseModel):
    status: str
    version: str
    role: str
    database: str
    workers: list[WorkerOut] = Field(description="The background workers and their last rounds")


@router.get("/health", response_model=HealthOut,
            summary="Liveness, database check and the background workers' last rounds (no authentication)")
def health(request: Request, session: Session = Depends(get_session)) -> HealthOut:
    session.execute(sql_text("SELECT 1"))
    now = utcnow()
    found = [WorkerOut(name=w.name, running=workers.running(w, now), last_round_at=w.finished_at,
                       last_round_jst=fmt_time_jst(w.finished_at),
                       interval_seconds=w.interval_seconds, rounds=w.rounds, last_error=w.last_error)
             for w in workers.rounds(session)]
    return HealthOut(status="ok", version=__version__, role=request.app.state.settings.role,
                     database=session.get_bind().dialect.name, workers=found)



DOCS_DOCUMENT = "/api/v1/docs/openapi.json"


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request) -> Response:
    """The operations of the listener this page is read on (mamoru.web.openapi), read from its document."""
    return render(request, "pages/api_docs.html", {"openapi_url": DOCS_DOCUMENT})


@router.get("/docs/openapi.json", include_in_schema=False)
def api_docs_document(request: Request) -> JSONResponse:
    """Behind nginx, the listener's /api/v1/openapi.json (deploy/nginx/mamoru.conf sends it here)."""
    return JSONResponse(request.app.state.docs_document())
