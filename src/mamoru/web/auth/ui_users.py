"""The administrator's page of one account: change its role, agency, display name, e-mail and
language, deactivate it (after a confirmation) or reactivate it, and read its audit trail (in words:
web/auth/trail.py); and the user's own change of their language on their account page.

Served by the office process only (web/auth ROUTES): its database user is the one that may UPDATE
those columns of users (mamoru.separation); the hotline's may not. Each change is one call of
mamoru.auth.service, audited there; a refused one shows the page again with the reason and what was
typed (web.drafts fills the form).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import User
from mamoru.errors import DomainError, NotFound
from mamoru.plan import service as plan_service
from mamoru.web import forms
from mamoru.web.auth import trail
from mamoru.web.auth.ui import LANG_CHOICES, account_page
from mamoru.web.deps import current_user, get_lang, get_session, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
ADMIN = require_roles(roles.ADMINISTRATOR)
NOT_CONFIRMED = "Tick the box to confirm the deactivation."


class UserRefused(DomainError):
    """An account change the service refused (auth's AuthError), with its status, for forms.submit."""

    def __init__(self, exc: auth_service.AuthError) -> None:
        super().__init__(str(exc))
        self.status = exc.code if exc.code != 400 else 422


def named(session: Session, username: str) -> User:
    user = auth_service.get_user(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def user_page(request: Request, session: Session, username: str, problems: forms.Problems = (),  # type: ignore[assignment]
              status: int = 200) -> Response:
    account = named(session, username)
    return render(request, "pages/user.html", {
        "account": account, "roles": roles.ALL_ROLES, "agencies": plan_service.agencies(session),
        "lang_choices": LANG_CHOICES,
        "history": trail.describe(get_lang(request), auth_service.user_history(session, account)),
        "problems": list(problems),
        "done": request.query_params.get("done", "")}, status_code=status)


@router.get("/admin/users/{username}", response_class=HTMLResponse)
def user_view(username: str, request: Request, session: Session = Depends(get_session),
              admin: User = Depends(ADMIN)) -> Response:
    return user_page(request, session, username)


def _run(session: Session, action: object) -> object:
    try:
        return action()  # type: ignore[operator]
    except auth_service.AuthError as exc:
        raise UserRefused(exc) from None


@router.post("/admin/users/{username}/edit", response_class=HTMLResponse)
def user_edit(username: str, request: Request, role: str = Form(""), agency: str = Form(""),
              display_name: str = Form("", max_length=auth_service.DISPLAY_NAME_MAX),
              email: str = Form("", max_length=auth_service.EMAIL_MAX), preferred_lang: str = Form(""),
              session: Session = Depends(get_session), admin: User = Depends(ADMIN)) -> Response:
    account = named(session, username)
    change = auth_service.UserChange(role=role or None, agency_code=agency, display_name=display_name, email=email,
                                     preferred_lang=preferred_lang or None)
    return forms.submit(
        session, lambda: _run(session, lambda: auth_service.edit_user(
            session, account, change, admin, known_agency=lambda code: plan_service.agency_exists(session, code))),
        done=f"/admin/users/{username}?done=edited",
        again=lambda problems, status: user_page(request, session, username, problems, status))


@router.post("/admin/users/{username}/deactivate", response_class=HTMLResponse)
def user_deactivate(username: str, request: Request, confirm: str = Form(""), session: Session = Depends(get_session),
                    admin: User = Depends(ADMIN)) -> Response:
    account = named(session, username)

    def deactivate() -> object:
        if confirm != "yes":
            raise UserRefused(auth_service.AuthError(NOT_CONFIRMED))
        return _run(session, lambda: auth_service.set_active(session, account, False, admin))

    return forms.submit(session, deactivate, done=f"/admin/users/{username}?done=deactivated",
                        again=lambda problems, status: user_page(request, session, username, problems, status))


@router.post("/admin/users/{username}/activate", response_class=HTMLResponse)
def user_activate(username: str, request: Request, session: Session = Depends(get_session),
                  admin: User = Depends(ADMIN)) -> Response:
    account = named(session, username)
    return forms.submit(session, lambda: _run(session, lambda: auth_service.set_active(session, account, True, admin)),
                        done=f"/admin/users/{username}?done=activated",
                        again=lambda problems, status: user_page(request, session, username, problems, status))


@router.post("/account/lang", response_class=HTMLResponse)
def account_lang(request: Request, lang: str = Form(""), session: Session = Depends(get_session),
                 user: User = Depends(current_user)) -> Response:
    """The signed-in user's language for the mails sent to them (CSRF-checked like every form)."""
    return forms.submit(session, lambda: _run(session, lambda: auth_service.set_language(session, user, lang)),
                        done="/account?done=lang#lang",
                        again=lambda problems, status: account_page(
                            request, session, user, lang_error="; ".join(str(p) for p in problems),
                            status_code=status))
