"""Pages for signing in and out, the administrator's user list, API tokens and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import ApiToken, User
from mamoru.config import Settings
from mamoru.plan import service as plan_service
from mamoru.web.deps import (
    SESSION_COOKIE,
    current_user,
    current_user_optional,
    get_session,
    get_settings,
    require_roles,
)
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, user: User | None = Depends(current_user_optional)) -> Response:
    return render(request, "pages/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: str = Form(..., max_length=64), password: str = Form(..., max_length=200),
          next: str = Form("/"), session: Session = Depends(get_session), settings: Settings = Depends(get_settings),
          _: User | None = Depends(current_user_optional)) -> Response:
    try:
        user = auth_service.authenticate(session, username, password, settings.login_attempts)
    except auth_service.AuthError as exc:
        session.commit()  # keep the failed attempt for throttling
        return render(request, "pages/login.html", {"next": _safe_next(next), "error": str(exc),
                                                    "error_code": exc.code}, status_code=exc.code)
    new = auth_service.open_session(session, user, settings.session_hours)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, new.cookie_value, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, max_age=int(settings.session_hours * 3600))
    return response


@router.post("/logout")
def logout(request: Request, session: Session = Depends(get_session), user: User = Depends(current_user)) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth_service.close_session(session, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: Session = Depends(get_session),
               admin: User = Depends(require_roles(roles.ADMINISTRATOR))) -> Response:
    users = list(session.scalars(select(User).order_by(User.username)))
    return render(request, "pages/users.html", {"users": users, "roles": roles.ALL_ROLES,
                                                "agencies": plan_service.agencies(session), "error": None})


@router.post("/admin/users", response_class=HTMLResponse)
def users_create(request: Request, username: str = Form(..., max_length=64), role: str = Form(...),
                 agency: str = Form(""), password: str = Form(..., max_length=200),
                 session: Session = Depends(get_session),
                 admin: User = Depends(require_roles(roles.ADMINISTRATOR))) -> Response:
    try:
        auth_service.create_user(session, username, role, password, agency_code=agency or None, created_by=admin,
                                 known_agency=lambda code: plan_service.agency_exists(session, code))
    except auth_service.AuthError as exc:
        users = list(session.scalars(select(User).order_by(User.username)))
        return render(request, "pages/users.html", {"users": users, "roles": roles.ALL_ROLES,
                                                    "agencies": plan_service.agencies(session), "error": str(exc)},
                      status_code=exc.code if exc.code != 400 else 422)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: Session = Depends(get_session), user: User = Depends(current_user)) -> Response:
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
    return render(request, "pages/account.html", {"tokens": tokens, "new_token": None,
                                                  "allowed": sorted(roles.ROLE_SCOPES.get(user.role, ())), "error": None})


@router.post("/account/tokens", response_class=HTMLResponse)
async def account_token(request: Request, session: Session = Depends(get_session),
                        user: User = Depends(current_user)) -> Response:
    form = await request.form()
    name = str(form.get("name") or "")[:100] or "web"
    scopes = [str(s) for s in form.getlist("scopes")]
    error, secret = None, None
    try:
        secret = auth_service.issue_token(session, user, name, scopes)
    except auth_service.AuthError as exc:
        error = str(exc)
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
    return render(request, "pages/account.html", {"tokens": tokens, "new_token": secret, "error": error,
                                                  "allowed": sorted(roles.ROLE_SCOPES.get(user.role, ()))},
                  status_code=201 if secret else 422)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, before: int | None = None, session: Session = Depends(get_session),
               user: User = Depends(require_roles(roles.ADMINISTRATOR, roles.AUDITOR))) -> Response:
    stmt = select(audit.AuditEvent).order_by(audit.AuditEvent.seq.desc()).limit(100)
    if before is not None:
        stmt = stmt.where(audit.AuditEvent.seq < before)
    events = list(session.scalars(stmt))
    return render(request, "pages/audit.html", {"events": events})
