"""JSON API for accounts, tokens and the audit log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import User
from mamoru.plan import service as plan_service
from mamoru.web.deps import current_user, get_session, require_roles, require_scope

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class UserOut(BaseModel):
    username: str
    role: str
    agency: str | None
    active: bool
    created_by: str | None
    created_at: datetime


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: str
    agency: str | None = None
    password: str = Field(min_length=10, max_length=200)
    display_name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1)


class TokenOut(BaseModel):
    token: str = Field(description="Shown once; store it now.")
    scopes: list[str]


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str
    hash: str


def user_out(u: User) -> UserOut:
    return UserOut(username=u.username, role=u.role, agency=u.agency_code, active=u.active,
                   created_by=u.created_by.username if u.created_by else None, created_at=u.created_at)


@router.get("/me", response_model=UserOut, summary="The signed-in user or the token's owner")
def me(user: User = Depends(current_user)) -> UserOut:
    return user_out(user)


@router.get("/users", response_model=list[UserOut], summary="All users (administrator)")
def list_users(session: Session = Depends(get_session),
               _: User = Depends(require_roles(roles.ADMINISTRATOR))) -> list[UserOut]:
    return [user_out(u) for u in session.scalars(select(User).order_by(User.username))]


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user (administrator)",
             responses={409: {"description": "username exists"}})
def create_user(body: UserIn, session: Session = Depends(get_session),
                admin: User = Depends(require_roles(roles.ADMINISTRATOR))) -> UserOut:
    try:
        u = auth_service.create_user(session, body.username, body.role, body.password,
                                     agency_code=body.agency.upper() if body.agency else None, created_by=admin,
                                     display_name=body.display_name, email=body.email,
                                     known_agency=lambda code: plan_service.agency_exists(session, code))
    except auth_service.AuthError as exc:
        raise HTTPException(exc.code if exc.code != 400 else 422, str(exc)) from None
    return user_out(u)


@router.post("/tokens", response_model=TokenOut, status_code=201, summary="Create an API token for yourself")
def create_token(body: TokenIn, session: Session = Depends(get_session), user: User = Depends(current_user)) -> TokenOut:
    try:
        secret = auth_service.issue_token(session, user, body.name, body.scopes)
    except auth_service.AuthError as exc:
        raise HTTPException(exc.code if exc.code != 400 else 422, str(exc)) from None
    return TokenOut(token=secret, scopes=sorted(set(body.scopes)))


@router.get("/audit", response_model=list[AuditEventOut], summary="Audit log, newest first (auditor, administrator)")
def audit_log(before: int | None = Query(None, description="Only entries before this sequence number."),
              limit: int = Query(100, ge=1, le=1000), session: Session = Depends(get_session),
              user: User = Depends(require_scope("audit:read"))) -> list[AuditEventOut]:
    if not roles.can_read_audit(user.role):
        raise HTTPException(403, "only auditors and administrators read the audit log")
    stmt = select(audit.AuditEvent).order_by(audit.AuditEvent.seq.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(audit.AuditEvent.seq < before)
    return [AuditEventOut(seq=e.seq, at=e.at, actor=e.actor, action=e.action, target=e.target, detail=e.detail,
                          hash=e.hash) for e in session.scalars(stmt)]
