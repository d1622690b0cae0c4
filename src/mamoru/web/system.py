"""Endpoints every process role serves: liveness and database check."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from mamoru.web.deps import get_session

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


