"""JSON API for accounts, tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import ApiToken, User
from mamoru.plan import service as plan_service
from mamoru.web.deps import Principal, current_user, get_principal, get_session, require_roles, require_scope

router = APIRouter(prefix="/api/v1", tags=["accounts"])
Lang = Literal["ja", "en"]
"""An account's language (auth.service.check_lang): the mails sent to it are written in it."""


class UserOut(BaseModel):
    username: str
    role: str
    agency: str | None
    display_name: str = ""
    email: str = ""
    preferred_lang: str = Field(description="The language of the mails sent to the account: ja or en.")
    active: bool
    created_by: str | None
    created_at: datetime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    username: str = Field(min_length=1, max_length=64)
    role: str
    agency: str | None = None
    password: str = Field(min_length=10, max_length=200)
    display_name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    preferred_lang: Lang = Field("ja", description="The language of the mails sent to the account: ja or en.")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1)
    expires_in_days: int | None = Field(None, ge=1, le=auth_service.TOKEN_MAX_DAYS,
                                        description="Days until the token expires; none: until revoked.")


class TokenInfoOut(BaseModel):
    """A token as listed: never its secret (only its hash is stored), its first characters to
    recognise it by."""

    id: int
    name: str
    prefix: str = Field(description="The secret's first characters.")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    revoked_at: datetime | None
    state: str = Field(description="active, expired or revoked")


class TokenOut(TokenInfoOut):
    token: str = Field(description="Shown once; store it now.")


def token_info(t: ApiToken) -> TokenInfoOut:
    return TokenInfoOut(id=t.id, name=t.name, prefix=t.prefix, scopes=list(t.scopes or []), created_at=t.created_at,
                        expires_at=t.expires_at, last_used_at=t.last_used_at, revoked_at=t.revoked_at,
                        state=auth_service.token_state(t))


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str
    hash: str


def user_out(u: User) -> UserOut:
    return UserOut(username=u.username, role=u.role, agency=u.agency_code, display_name=u.display_name,
                   email=u.email, preferred_lang=u.preferred_lang, active=u.active,
                   created_by=u.created_by.username if u.created_by else None, created_at=u.created_at)


@router.get("/me", response_model=UserOut, summary="The signed-in user or the token's owner")
def me(user: User = Depends(current_user)) -> UserOut:
    return user_out(user)


@router.get("/users", response_model=list[UserOut], summary="All users (administrator)")
def list_users(session: Session = Depends(get_session),
               _: User = Depends(require_roles(roles.ADMINISTRATOR, scope="users:read"))) -> list[UserOut]:
    return [user_out(u) for u in session.scalars(select(User).order_by(User.username))]


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user (administrator)",
             responses={409: {"description": "username exists"}})
def create_user(body: UserIn, session: Session = Depends(get_session),
                admin: User = Depends(require_roles(roles.ADMINISTRATOR, scope="users:write"))) -> UserOut:
    try:
        u = auth_service.create_user(session, body.username, body.role, body.password,
                                     agency_code=body.agency.upper() if body.agency else None, created_by=admin,
                                     display_name=body.display_name, email=body.email,
                                     preferred_lang=body.preferred_lang,
                                     known_agency=lambda code: plan_service.agency_exists(session, code))
    except auth_service.AuthError as exc:
        raise HTTPException(exc.code if exc.code != 400 else 422, str(exc)) from None
    return user_out(u)


def _new_token(session: Session, user: User, body: TokenIn, principal: Principal) -> TokenOut:
    if principal.token is not None:  # a token cannot give a new token more than it holds itself
        asked = {s.strip() for s in body.scopes} & roles.ROLE_SCOPES.get(user.role, frozenset())
        beyond = sorted(asked - set(principal.token.scopes or []))
        if beyond:
            raise HTTPException(403, f"an API token gives a new token only scopes it holds itself, not: {', '.join(beyond)}"
                                     " (sign in to the account page for those)")
    try:
        new = auth_service.create_token(session, user, body.name, body.scopes, actor=user,
                                        expires_in_days=body.expires_in_days,
                                        not_after=principal.token.expires_at if principal.token else None)
    except auth_service.AuthError as exc:
        raise HTTPException(exc.code if exc.code != 400 else 422, str(exc)) from None
    return TokenOut(token=new.secret, **token_info(new.token).model_dump())


@router.post("/tokens", response_model=TokenOut, status_code=201, summary="Create an API token for yourself",
             description="The same as POST /api/v1/me/tokens.")
def create_token(body: TokenIn, session: Session = Depends(get_session), user: User = Depends(current_user),
                 principal: Principal = Depends(get_principal)) -> TokenOut:
    return _new_token(session, user, body, principal)


@router.get("/me/tokens", response_model=list[TokenInfoOut], summary="Your API tokens (revoked and expired included)")
def my_tokens(session: Session = Depends(get_session), user: User = Depends(current_user)) -> list[TokenInfoOut]:
    return [token_info(t) for t in auth_service.list_tokens(session, user, user)]


@router.post("/me/tokens", response_model=TokenOut, status_code=201,
             summary="Create an API token for yourself; its secret is in this answer only")
def create_my_token(body: TokenIn, session: Session = Depends(get_session),
                    user: User = Depends(current_user), principal: Principal = Depends(get_principal)) -> TokenOut:
    return _new_token(session, user, body, principal)


@router.delete("/me/tokens/{token_id}", response_model=TokenInfoOut, summary="Revoke one of your API tokens",
               responses={404: {"description": "no such token of yours"}})
def revoke_my_token(token_id: int, session: Session = Depends(get_session),
                    user: User = Depends(current_user)) -> TokenInfoOut:
    return token_info(auth_service.revoke_token_by_id(session, token_id, user, owner=user))


@router.post("/me/tokens/{token_id}/revoke", response_model=TokenInfoOut,
             summary="Revoke one of your API tokens (for clients that cannot send DELETE)",
             responses={404: {"description": "no such token of yours"}})
def revoke_my_token_post(token_id: int, session: Session = Depends(get_session),
                         user: User = Depends(current_user)) -> TokenInfoOut:
    return token_info(auth_service.revoke_token_by_id(session, token_id, user, owner=user))


def _named_user(session: Session, username: str) -> User:
    u = auth_service.get_user(session, username)
    if u is None:
        raise HTTPException(404, f"no user {username!r}")
    return u


@router.get("/users/{username}/tokens", response_model=list[TokenInfoOut],
            summary="A user's API tokens (administrator)", responses={404: {"description": "no such user"}})
def user_tokens(username: str, session: Session = Depends(get_session),
                admin: User = Depends(require_roles(roles.ADMINISTRATOR, scope="users:read"))) -> list[TokenInfoOut]:
    return [token_info(t) for t in auth_service.list_tokens(session, _named_user(session, username), admin)]


@router.delete("/users/{username}/tokens/{token_id}", response_model=TokenInfoOut,
               summary="Revoke a user's API token (administrator)",
               responses={404: {"description": "no such user, or no such token of theirs"}})
def revoke_user_token(username: str, token_id: int, session: Session = Depends(get_session),
                      admin: User = Depends(require_roles(roles.ADMINISTRATOR, scope="users:write"))) -> TokenInfoOut:
    owner = _named_user(session, username)
    return token_info(auth_service.revoke_token_by_id(session, token_id, admin, owner=owner))


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
