"""Endpoints every process role serves: liveness and database check, and the API documentation page
(Swagger UI served from mamoru's own static files, within its CSP: no outside request)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from mamoru.web.deps import get_session
from mamoru.web.templating import render

router = APIRouter(prefix="/api/v1", tags=["system"])


class HealthOut(BaseModel):
    status: str
    version: str
    role: str
    database: str


@router.get("/health", response_model=HealthOut, summary="Liveness and database check (no authentication)")
def health(request: Request, session: Session = Depends(get_session)) -> HealthOut:
    from sqlalchemy import text as sql_text

    from mamoru import __version__

    session.execute(sql_text("SELECT 1"))
    return HealthOut(status="ok", version=__version__, role=request.app.state.settings.role,
                     database=session.get_bind().dialect.name)




@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request) -> Response:
    """The operations of this process's API, read from its own OpenAPI document."""
    return render(request, "pages/api_docs.html", {"openapi_url": request.app.openapi_url})
