"""Pages for signing in and out, the administrator's user list, API tokens and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import User
from mamoru.config import Settings
from mamoru.errors import DomainError
from mamoru.i18n import LANGUAGE_NAMES
from mamoru.plan import service as plan_service
from mamoru.web import forms
from mamoru.web.auth import trail
from mamoru.web.deps import (
    SESSION_COOKIE,
    current_user,
    current_user_optional,
    get_lang,
    get_session,
    get_settings,
    require_roles,
)
from mamoru.web.limits import answer_after
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, ended: int = 0,
               user: User | None = Depends(current_user_optional)) -> Response:
    """The login form; `ended`: a form was sent after the session had ended and is kept (web.drafts)."""
    return render(request, "pages/login.html", {"next": _safe_next(next), "error": None, "ended": bool(ended)})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: str = Form(..., max_length=64), password: str = Form(..., max_length=200),
          next: str = Form("/"), session: Session = Depends(get_session), settings: Settings = Depends(get_settings),
          _: User | None = Depends(current_user_optional)) -> Response:
    """Sign in. The right password always gets in. A wrong one is counted and answered after the
    service's delay (LoginFailed.delay, growing per username and per client): the failure is
    committed here, which hands the connection back to the pool, and the wait itself happens after
    the request is done, in the event loop (web.limits.AnswerLater), so a slowed answer holds no
    database connection, worker thread or SQLite turn."""
    address = request.client.host if request.client else "unknown"
    try:
        user = auth_service.authenticate(session, username, password, settings.login_attempts,
                                         auth_service.client_key(settings.resolved_secret_key(), address))
    except auth_service.LoginFailed as exc:
        session.commit()  # the failure counts, and the connection goes back to the pool before the wait
        answer_after(request, exc.delay)
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


NO_ROLE = "Choose a role."


def _users_page(request: Request, session: Session, error: str | None = None, status_code: int = 200) -> Response:
    """The accounts, and the form for a new one (no role chosen in advance: the administrator picks
    it). Each account links to its own page where the process serves it (ui_users: the office)."""
    users = list(session.scalars(select(User).order_by(User.username)))
    manages = get_settings(request).role in ("office", "all")
    return render(request, "pages/users.html", {"users": users, "roles": roles.ALL_ROLES, "manages": manages,
                                                "lang_choices": LANG_CHOICES,
                                                "agencies": plan_service.agencies(session), "error": error},
                  status_code=status_code)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: Session = Depends(get_session),
               admin: User = Depends(require_roles(roles.ADMINISTRATOR))) -> Response:
    return _users_page(request, session)


@router.post("/admin/users", response_class=HTMLResponse)
def users_create(request: Request, username: str = Form(..., max_length=64), role: str = Form(""),
                 agency: str = Form(""), password: str = Form(..., max_length=200),
                 display_name: str = Form("", max_length=auth_service.DISPLAY_NAME_MAX),
                 email: str = Form("", max_length=auth_service.EMAIL_MAX), preferred_lang: str = Form("ja"),
                 session: Session = Depends(get_session),
                 admin: User = Depends(require_roles(roles.ADMINISTRATOR))) -> Response:
    try:
        if not role:
            raise auth_service.AuthError(NO_ROLE)
        auth_service.create_user(session, username, role, password, agency_code=agency or None, created_by=admin,
                                 display_name=display_name, email=email, preferred_lang=preferred_lang,
                                 known_agency=lambda code: plan_service.agency_exists(session, code))
    except auth_service.AuthError as exc:
        session.rollback()
        return _users_page(request, session, str(exc), exc.code if exc.code != 400 else 422)
    return RedirectResponse("/admin/users", status_code=303)


# Refusals the account page words itself (Japanese in auth.po); the service's own are shown as it says them.
NO_NAME = "Give the token a name."
NO_SCOPE = "Choose at least one scope."
BAD_EXPIRY = "The expiry is a whole number of days from 1 to 3650."


LANG_CHOICES = tuple(LANGUAGE_NAMES.items())
"""The languages an account's mails are written in, as the forms offer them (each in its own words)."""


def account_page(request: Request, session: Session, user: User, *, new_token: str | None = None,
                 error: str | None = None, typed: dict[str, object] | None = None, revoked: int | None = None,
                 lang_error: str | None = None, status_code: int = 200) -> Response:
    """The signed-in user's page: their language (changed where the process may: the office) and tokens."""
    return render(request, "pages/account.html", {
        "preferred_lang": user.preferred_lang,
        "lang_choices": LANG_CHOICES,
        "lang_saved": request.query_params.get("done") == "lang",
        "lang_error": lang_error,
        "sets_lang": get_settings(request).role in ("office", "all"),
        "tokens": auth_service.list_tokens(session, user, user),
        "state": auth_service.token_state,
        "new_token": new_token,
        "error": error,
        "typed": typed or {},
        "revoked": revoked,
        "allowed": sorted(roles.ROLE_SCOPES.get(user.role, ())),
        "max_days": auth_service.TOKEN_MAX_DAYS,
    }, status_code=status_code)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, revoked: int | None = None, session: Session = Depends(get_session),
            user: User = Depends(current_user)) -> Response:
    return account_page(request, session, user, revoked=revoked)


@router.post("/account/tokens", response_class=HTMLResponse)
def account_token(request: Request, name: str = Form(""), scopes: list[str] = Form([]),
                  expires_in_days: str = Form(""), session: Session = Depends(get_session),
                  user: User = Depends(current_user)) -> Response:
    """Create a token: the page again, with the secret shown this once (201), or the refusal (422). A
    plain function (FastAPI runs it in a worker thread): its database work never holds the event loop."""
    name = name.strip()[:100]
    days_text = expires_in_days.strip()
    typed: dict[str, object] = {"name": name, "scopes": scopes, "expires_in_days": days_text}
    error: str | None = None
    days: int | None = None
    if days_text:
        try:
            days = int(days_text)
        except ValueError:
            error = BAD_EXPIRY
        else:
            if not 1 <= days <= auth_service.TOKEN_MAX_DAYS:
                error = BAD_EXPIRY
    if not name:
        error = NO_NAME
    elif not scopes:
        error = NO_SCOPE
    if error is None:
        try:
            new = auth_service.create_token(session, user, name, scopes, actor=user, expires_in_days=days)
        except (auth_service.AuthError, DomainError) as exc:
            error = str(exc)
        else:
            session.commit()
            return account_page(request, session, user, new_token=new.secret, status_code=201)
    session.rollback()
    return account_page(request, session, user, error=error, typed=typed, status_code=422)


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def account_token_revoke(request: Request, token_id: int, session: Session = Depends(get_session),
                         user: User = Depends(current_user)) -> Response:
    """Revoke one of the signed-in user's tokens (CSRF-checked like every unsafe request), then back
    to the page; another user's token id is not found."""
    return forms.submit(session, lambda: auth_service.revoke_token_by_id(session, token_id, user, owner=user),
                        done=lambda t: f"/account?revoked={t.id}#tokens",
                        again=lambda problems, status: account_page(
                            request, session, user, error="; ".join(str(p) for p in problems), status_code=status))


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, before: int | None = None, session: Session = Depends(get_session),
               user: User = Depends(require_roles(roles.ADMINISTRATOR, roles.AUDITOR))) -> Response:
    stmt = select(audit.AuditEvent).order_by(audit.AuditEvent.seq.desc()).limit(100)
    if before is not None:
        stmt = stmt.where(audit.AuditEvent.seq < before)
    events = trail.describe(get_lang(request), list(session.scalars(stmt)))
    return render(request, "pages/audit.html", {"events": events})
