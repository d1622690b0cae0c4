"""Request dependencies: database session, language, who is asking, and what they may do.

A request is authenticated either by a session cookie (browser) or, on the API (/api/...), by a
Bearer API token. Every unsafe request authenticated by cookie, and every anonymous form, must carry
the CSRF token (form field `csrf_token` or header `X-CSRF-Token`); token-authenticated API calls need
none, and an API call with no credentials at all is answered 401 (WWW-Authenticate: Bearer), not a
CSRF refusal. A route needs a role and, on the API, the scope of its domain (auth.roles.SCOPES): a
token must hold that scope and its owner's role must be allowed it; a browser session holds every
scope of its role.
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import ApiToken, User, WebSession
from mamoru.config import Settings
from mamoru.db import Database
from mamoru.followup.indicators import LiveProviders
from mamoru.i18n import LANGS, negotiate
from mamoru.mail import Mailer

SESSION_COOKIE = "mamoru_session"
ANON_CSRF_COOKIE = "mamoru_csrf"
LANG_COOKIE = "mamoru_lang"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


BaseModelT = TypeVar("BaseModelT", bound=BaseModel)
T = TypeVar("T")


def get_session(request: Request) -> Iterator[Session]:
    db: Database = request.app.state.database
    s = db.sessionmaker()
    request.state.db_session = s
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()


def get_mailer(request: Request) -> Mailer:
    """The process's mailer (mamoru.mail, chosen by MAMORU_MAIL_BACKEND when the app was made)."""
    return request.app.state.mailer  # type: ignore[no-any-return]


def live_providers(request: Request) -> LiveProviders:
    """The indicator providers this process computes itself (mamoru.composition.live_providers)."""
    return request.app.state.live_providers  # type: ignore[no-any-return]


def get_lang(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in LANGS:
        return q
    c = request.cookies.get(LANG_COOKIE)
    if c in LANGS:
        return c
    return negotiate(request.headers.get("accept-language"), request.app.state.settings.default_lang)


@dataclass(frozen=True)
class Viewer:
    """Plain values about who is asking, safe to use after the database session has ended
    (error pages are rendered after a rollback, when ORM objects are expired)."""

    id: int
    username: str
    role: str
    agency_code: str | None


@dataclass
class Principal:
    """Who is asking: a user through a web session or an API token (or nobody)."""

    user: User | None
    web_session: WebSession | None = None
    token: ApiToken | None = None

    def has_scope(self, scope: str) -> bool:
        """Whether this request may use `scope`: the account's role may hold it (auth.roles.ROLE_SCOPES)
        and, with a token, the token holds it. A browser session holds every scope of its role; a
        token keeps only the scopes it was given, and loses one its owner's role no longer allows."""
        if self.user is None or not roles.may_hold(self.user.role, scope):
            return False
        return self.token is None or scope in (self.token.scopes or [])


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


REFUSED_BEARER = "invalid, expired or revoked API token"


async def refuse_dead_token(request: Request) -> None:
    """An app-wide dependency: every API route, the public ones too, answers 401 (JSON) to a Bearer
    token that is unknown, revoked or expired, instead of serving the request as anonymous.

    The check runs in its own short transaction, which also records the token's use
    (`last_used_at`, at most once a minute): the write holds even when the request is then refused
    and rolled back, and the row is locked for a moment, not for the whole request. Processes that
    authenticate nobody (portal, intake) ignore credentials, as in get_principal."""
    if not request.scope["path"].startswith("/api/") or not request.app.state.authenticates:
        return
    if getattr(request.scope.get("endpoint"), "authenticates_in_route", False):
        return  # the route checks its token itself (the match API: bearer_of, decide_token)
    bearer = _bearer(request)
    if bearer is None:
        return
    # async, so that a request without a token (or a route that checks its own) costs no hop into
    # the thread pool for this app-wide dependency; the lookup itself runs in a worker thread
    token_id = await in_thread(_live_token_id, request.app.state.database, bearer)
    if token_id is None:
        raise HTTPException(401, REFUSED_BEARER, headers={"WWW-Authenticate": "Bearer"})
    # get_principal loads this token by id instead of looking its secret up a second time
    request.state.live_token = (bearer, token_id)


def _live_token_id(db: Database, bearer: str) -> int | None:
    with db.session() as s:
        tok = auth_service.find_token(s, bearer)
        return tok.id if tok is not None else None


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a worker thread of the running loop's executor, with the caller's context
    variables: the hop of the hot routes (match, the public report). Cheaper than Starlette's
    run_in_threadpool (AnyIO's cancel scope, capacity limiter and Condition-based queue per call:
    about a third of a match request's CPU in a py-spy profile, docs/performance.md); the number of
    requests in flight is bounded before, by ConcurrencyLimit, and the executor is sized to it
    (web/limits.py threads_for)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, contextvars.copy_context().run, fn, *args)


def authenticates_in_route(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route that authenticates inside its handler (bearer_of, refuse_without_token, decide_token: the app-wide
    refuse_dead_token then leaves its token alone: the route gives the same 401)."""
    endpoint.authenticates_in_route = True  # type: ignore[attr-defined]
    return endpoint


def bearer_of(request: Request) -> str | None:
    """The request's Bearer token where this process authenticates anybody (else None: the portal
    and intake ignore credentials)."""
    return _bearer(request) if request.app.state.authenticates else None


def refuse_without_token(request: Request, session: Session, refusal: str) -> NoReturn:
    """The answer of a token-only route to a request without a token: 403 to a browser session
    (whatever its role), else 401."""
    state = request.app.state
    cookie = request.cookies.get(SESSION_COOKIE) if state.authenticates and state.web_sessions else None
    if cookie and auth_service.find_session(session, cookie, state.settings.session_hours) is not None:
        raise HTTPException(403, refusal)
    raise HTTPException(401, NO_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})


def decide_token(role: str, scopes: Sequence[str], *allowed: str, scope: str, refusal: str) -> None:
    """A live token of an account of `role` holding `scopes`: 403 unless the role is one of `allowed`
    and both the role and the token hold `scope` (Principal.has_scope)."""
    if role not in allowed:
        raise HTTPException(403, refusal)
    if not roles.may_hold(role, scope) or scope not in scopes:
        raise lacks_scope(scope)


def viewer_is(request: Request, user_id: int, username: str, role: str, agency_code: str | None) -> None:
    """Who the request is, for what runs after the route (templates, drafts)."""
    request.state.viewer = Viewer(id=user_id, username=username, role=role, agency_code=agency_code)


def parse_json_body(model: type[BaseModelT], raw: bytes) -> BaseModelT:
    """`raw` as `model`, refused as FastAPI refuses a body parameter (RequestValidationError, 422 with
    the problems): for a route that authenticates before it reads its body (the match API)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors(include_url=False)]
        if any(e.get("type") == "json_invalid" for e in errors):
            errors = [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error", "input": {}}]
        raise RequestValidationError(errors, body=raw[:1000]) from None


def json_body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a JSON body a route parses itself (parse_json_body): `openapi_extra=`."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def require_token_before_body(*allowed: str, scope: str) -> Callable[[Request], None]:
    """A route dependency for routes that authenticate inside their handler (the trusted flaggers'
    intake, in its own write transaction): answers 401 to a request without a token, 403 to a
    token of another role or without `scope`, before the body is read or validated."""

    def dep(request: Request) -> None:
        bearer = _bearer(request)
        if bearer is None:
            raise HTTPException(401, f"this needs an API token with the scope {scope!r} (Authorization: Bearer ...)",
                                headers={"WWW-Authenticate": "Bearer"})
        db: Database = request.app.state.database
        with db.session() as s:  # a short read of its own: the route writes in its own transaction
            tok = auth_service.find_token(s, bearer, touch=False)
            facts = (tok.user.role, frozenset(tok.scopes or [])) if tok is not None else None
        if facts is None:
            raise HTTPException(401, REFUSED_BEARER, headers={"WWW-Authenticate": "Bearer"})
        role, scopes = facts
        if role not in allowed or not roles.may_hold(role, scope) or scope not in scopes:
            raise lacks_scope(scope)

    dep.__name__ = f"require_token_before_body_scope_{scope.replace(':', '_')}"
    return dep


def get_principal(request: Request, session: Session = Depends(get_session)) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    settings: Settings = request.app.state.settings
    # API tokens are for the API: a page ignores a Bearer header (its routes declare roles for
    # browser sessions, which hold every scope of their role; a token's narrower scopes would not
    # be asked there).
    bearer = _bearer(request) if is_api(request) else None
    if not request.app.state.authenticates:
        # A process whose role runs no accounts (the portal, the intake form) ignores credentials it
        # has no business reading: its database user may not read the auth tables at all.
        principal = Principal(user=None)
    elif bearer is not None:
        # refuse_dead_token has already recorded the use in its own short transaction; this one
        # only reads (an UPDATE here would hold the row, and SQLite's write lock, for the request).
        checked = getattr(request.state, "live_token", None)
        if checked is not None and checked[0] == bearer:
            tok = auth_service.live_token_by_id(session, checked[1])
        else:
            tok = auth_service.find_token(session, bearer, touch=False)
        if tok is None:
            raise HTTPException(401, REFUSED_BEARER, headers={"WWW-Authenticate": "Bearer"})
        principal = Principal(user=tok.user, token=tok)
    elif not request.app.state.web_sessions:
        # A process with no sign-in page (the matcher, the feed) takes API tokens only: a session
        # cookie is ignored, not looked up (its database user may not read web_sessions).
        principal = Principal(user=None)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        ws = auth_service.find_session(session, cookie, settings.session_hours) if cookie else None
        principal = Principal(user=ws.user if ws else None, web_session=ws)
    request.state.principal = principal
    if principal.user is not None:
        u = principal.user
        request.state.viewer = Viewer(id=u.id, username=u.username, role=u.role, agency_code=u.agency_code)
    if principal.web_session is not None:
        request.state.session_csrf = principal.web_session.csrf_token
    return principal


async def csrf_token_sent(request: Request) -> str | None:
    """The CSRF token an unsafe request carries (header, or form field `csrf_token`)."""
    if request.method not in UNSAFE:
        return None
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            request.state.posted_form = form  # a refused form is shown again with it (web.drafts)
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    return sent


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def check_csrf(request: Request, principal: Principal, sent: str | None) -> None:
    """Unsafe requests not made with an API token must echo the session's (or anonymous) token.

    An API request carrying no session (no credentials, or a cookie that names no live session) has
    nothing a forged request could borrow: it is anonymous, and the route's own rule answers it (401
    with WWW-Authenticate: Bearer where an account is needed), not a CSRF refusal."""
    if request.method not in UNSAFE or principal.token is not None:
        return
    if principal.web_session is None and is_api(request):
        return
    if principal.web_session is not None:
        expected = principal.web_session.csrf_token
    else:
        expected = request.cookies.get(ANON_CSRF_COOKIE) or ""
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        if principal.web_session is None and request.cookies.get(SESSION_COOKIE) and not is_api(request):
            # The browser had a session and it has ended (expired, logged out elsewhere, account
            # deactivated): sign in again, and the form's input is kept (web.drafts). A forged
            # cross-site form carries no session cookie (SameSite=Lax), so it still gets the 403.
            raise HTTPException(401, SESSION_ENDED)
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


def current_user_optional(request: Request, principal: Principal = Depends(get_principal),
                          sent: str | None = Depends(csrf_token_sent)) -> User | None:
    check_csrf(request, principal, sent)
    return principal.user


SESSION_ENDED = "your session has ended: log in again"
NO_CREDENTIALS = "this needs an account: send an API token (Authorization: Bearer ...) or sign in"


def current_user(request: Request, user: User | None = Depends(current_user_optional)) -> User:
    if user is None:
        if is_api(request):
            raise HTTPException(401, NO_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(401, "log in first")
    return user


def lacks_scope(scope: str) -> HTTPException:
    return HTTPException(403, f"this needs the scope {scope!r}, which this API token (or this account's role) lacks")


def require_roles(*roles: str, scope: str | None = None) -> Callable[..., User]:
    """A user with one of `roles`; with `scope`, an API token must also hold that scope (a
    browser session holds every scope of its role)."""

    def dep(principal: Principal = Depends(get_principal), user: User = Depends(current_user)) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}")
        if scope is not None and not principal.has_scope(scope):
            raise lacks_scope(scope)
        return user

    dep.__name__ = f"require_roles_{'_'.join(roles)}" + (f"_scope_{scope.replace(':', '_')}" if scope else "")
    return dep


def require_scope(scope: str) -> Callable[..., User]:
    """A user whose request may use `scope` (Principal.has_scope): their role may hold it and, with a
    token, the token holds it. The service then checks what the role may do with it."""

    def dep(principal: Principal = Depends(get_principal), user: User = Depends(current_user)) -> User:
        if not principal.has_scope(scope):
            raise lacks_scope(scope)
        return user

    dep.__name__ = f"require_scope_{scope.replace(':', '_')}"
    return dep


def require_api_token(*allowed: str, scope: str, refusal: str) -> Callable[..., User]:
    """An API token of a user with one of the roles `allowed`, holding `scope`. A browser session,
    whatever its role (an administrator's too), gets 403 with `refusal`; nobody at all, 401."""

    def dep(principal: Principal = Depends(get_principal), user: User = Depends(current_user)) -> User:
        if principal.token is None:
            raise HTTPException(403, refusal)
        decide_token(user.role, principal.token.scopes or [], *allowed, scope=scope, refusal=refusal)
        return user

    dep.__name__ = f"require_api_token_{'_'.join(allowed)}_scope_{scope.replace(':', '_')}"
    return dep


def csrf_token_for(request: Request) -> str:
    session_token = getattr(request.state, "session_csrf", None)
    if session_token is not None:
        return session_token  # type: ignore[no-any-return]
    token = request.cookies.get(ANON_CSRF_COOKIE) or getattr(request.state, "new_anon_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_anon_csrf = token
    return token
