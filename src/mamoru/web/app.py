"""create_app(settings): the FastAPI application with pages, API, security headers and errors."""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from mamoru import __version__, composition, mail
from mamoru.config import Settings
from mamoru.db import POOL_OVERFLOW, Database
from mamoru.errors import DomainError, InvalidInput
from mamoru.i18n import error_messages, gettext
from mamoru.web import auth as auth_web
from mamoru.web import blocklist as blocklist_web
from mamoru.web import deps, drafts, fronts, limits, openapi, system
from mamoru.web import followup as followup_web
from mamoru.web import hotline as hotline_web
from mamoru.web import matching as matching_web
from mamoru.web import plan as plan_web
from mamoru.web import portal as portal_web
from mamoru.web.commit import CommitBeforeResponse
from mamoru.web.hotline import report_form
from mamoru.web.limits import (
    BodyFirst,
    BodyLimit,
    ConcurrencyLimit,
    NoFilesUnlessUploaded,
    OneAtATime,
    threads_for,
    upload_routes,
)
from mamoru.web.templating import render

access_log = logging.getLogger("mamoru.access")
STATIC_DIR = Path(__file__).parent / "static"

GROUPS = (auth_web, plan_web, followup_web, portal_web, blocklist_web, hotline_web, matching_web)
"""The web layer by domain: each group's ROUTES says which routers it serves in which process role
(a new router goes into its group's ROUTES, nothing here changes)."""

READ_ONLY_ROLES = {"portal"}
"""Roles that serve only GET and HEAD routes (the portal's database user can only read; a write
route there would be a 500, or worse, a way in)."""


def routers_for_role(role: str) -> list[APIRouter]:
    """The routers a process of `role` serves, health first; `all` serves every group's routers."""
    composition.check_role(role)
    chosen: list[APIRouter] = [system.router]
    for group in GROUPS:
        for served_in, routers in group.ROUTES.items():
            if role in (served_in, "all"):
                chosen += [r for r in routers if all(r is not c for c in chosen)]
    if role in READ_ONLY_ROLES:
        chosen = [_reading_routes(r) for r in chosen]
    return chosen


def _reading_routes(router: APIRouter) -> APIRouter:
    reading = APIRouter()
    reading.routes = [r for r in router.routes if set(getattr(r, "methods", None) or {"GET"}) <= {"GET", "HEAD"}]
    return reading


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    app = FastAPI(
        title="mamoru API",
        version=__version__,
        description="The Basic Plan on Measures against Child Sexual Exploitation: registry, follow-up, "
                    "hotline, hash matching and blocking list. Authenticate with a Bearer API token.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by mamoru.web.system with vendored assets (FastAPI's page loads a CDN)
        redoc_url=None,
        dependencies=[Depends(deps.refuse_dead_token)],  # a revoked or expired token: 401 on every API route
    )
    app.state.settings = settings
    # The hot routes (a match, a public report) work through the short pool (db.Database.short:
    # autocommit, no ping at checkout)
    app.state.database = database or Database.from_url(settings.database_url, pool_size=settings.max_requests,
                                                       short=settings.role in ("matcher", "intake", "all"))
    app.state.live_providers = composition.live_providers(settings.role)
    app.state.authenticates = composition.AUTH.serves(settings.role)
    app.state.mailer = mail.mailer_from_settings(settings)
    # Web sessions exist where the sign-in page is served (office, hotline); the matcher and the feed
    # take API tokens only, and their database users may not read web_sessions.
    app.state.web_sessions = settings.role == "all" or settings.role in auth_web.ROUTES
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in routers_for_role(settings.role):
        app.include_router(router)
    if settings.role == "intake":
        report_form.prepare(app.state)  # the public contact key must be there before the first reporter is
    blocklist_web.prepare(settings)  # where the list is published, a configured signing key must be there
    # innermost: a multipart body to a route that takes no file is refused unread (with the pages' headers)
    app.add_middleware(NoFilesUnlessUploaded, uploads=upload_routes(app.routes))
    _install_middleware(app, settings)
    _install_error_handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.state.docs_document = lambda: _listener_openapi(app)  # what /api/v1/docs shows (mamoru.web.system)
    app.add_middleware(CommitBeforeResponse)
    if app.state.database.is_sqlite:
        app.add_middleware(OneAtATime)  # embedded SQLite: requests queue instead of fighting for the lock
    else:  # fewer requests at once than worker threads and connections; past the queue, 503 at once
        app.add_middleware(ConcurrencyLimit, limit=settings.max_requests, queue=settings.request_queue,
                           wait=settings.queue_seconds)
        app.router.on_startup.append(threads_for(settings.max_requests + POOL_OVERFLOW))
    if settings.role == "matcher":  # after the thread pool is sized: the snapshot is open before the first request
        matching_web.api.ready_before_serving(app)
    app.add_middleware(BodyFirst, seconds=settings.body_seconds)  # a slow body holds no place, thread or lock
    app.add_middleware(limits.AnswerLater)  # a slowed answer (wrong passwords) waits outside the queue and the session
    app.add_middleware(BodyLimit)  # refuses oversize bodies before anything reads them
    app.add_middleware(HeadAsGet)  # outermost: HEAD is every GET route's, without the body
    return app


class HeadAsGet:
    """HEAD answered as the GET of the same address, with its status and headers and no body (RFC 9110
    9.3.2): monitors and link checkers ask HEAD, and FastAPI's routes name GET only (they answered 405)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def app_from_env() -> FastAPI:
    """Factory for `mamoru serve` (uvicorn --factory): the settings of the process's role only."""
    return as_served(create_app(composition.load_settings()))


def as_served(app: FastAPI) -> FastAPI:
    """What a server process adds to its app (bench/ measures apps this way too)."""
    app.router.on_startup.append(settle_heap)  # last: after the thread pool and the matcher's snapshot
    return app


def settle_heap() -> None:
    """Once a server process has started, what is alive (modules, templates, settings, the matcher's
    snapshot) lives as long as the process: moved out of the collector's generations (gc.freeze), so a
    full collection no longer walks it. Without this, a full collection in the office process took
    200 to 370 ms under bench/followup.py (most of the measure history pages' p95, against a median
    of 40 ms); with it, 20 to 55 ms. Only `mamoru serve` does this: a test process makes many apps,
    and frozen objects are never collected."""
    gc.collect()
    gc.freeze()


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(HeadersAndLog, settings=settings)


class HeadersAndLog:
    """Security headers on every answer, the language and anonymous-CSRF cookies, and the access log
    line. A plain ASGI middleware (Starlette's BaseHTTPMiddleware, which `@app.middleware` makes,
    runs each request in a task of its own with memory streams between: a large part of a small
    request's cost)."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope.setdefault("state", {})  # request.state: the handlers' notes (new_anon_csrf) are read back here
        settings = self.settings
        status = [0]

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                response = Response(status_code=message["status"])
                response.raw_headers = list(message.get("headers", []))
                h = response.headers
                h.setdefault("Content-Security-Policy", CSP)
                h.setdefault("X-Content-Type-Options", "nosniff")
                h.setdefault("X-Frame-Options", "DENY")
                h.setdefault("Referrer-Policy", "same-origin")
                h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if settings.secure_cookies or scope.get("scheme") == "https":
                    h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
                if (not scope["path"].startswith("/api/")
                        and h.get("content-type", "").startswith("text/html")):
                    h.setdefault("Cache-Control", "no-store")
                request = Request(scope)
                lang = request.query_params.get("lang")
                if lang in ("ja", "en"):
                    response.set_cookie(deps.LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax",
                                        secure=settings.secure_cookies)
                anon = scope["state"].get("new_anon_csrf")
                if anon and not request.cookies.get(deps.ANON_CSRF_COOKIE):
                    response.set_cookie(deps.ANON_CSRF_COOKIE, anon, httponly=True, samesite="strict",
                                        secure=settings.secure_cookies)
                message = {**message, "headers": response.raw_headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            # No client address in the access log: reporters' privacy (see docs/security.md).
            access_log.info("%s %s %s %.1fms", scope["method"], scope["path"], status[0],
                            (time.perf_counter() - started) * 1000)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _install_error_handlers(app: FastAPI) -> None:
    # Plain functions, which Starlette runs in a worker thread: a page rendered here may read or keep
    # a form's draft in the database (web.drafts), which must not hold the event loop.
    @app.exception_handler(DomainError)
    def domain_error(request: Request, exc: DomainError) -> Response:
        problems = [p.__dict__ for p in exc.problems] if isinstance(exc, InvalidInput) else []
        lang = deps.get_lang(request)
        shown = error_messages(lang, exc)  # in the reader's language (mamoru.i18n.error_messages)
        if _wants_html(request):
            message, listed = ("invalid input", [{"text": t} for t in shown]) if problems else (shown[0], [])
            return render(request, "pages/error.html", {"status": exc.status, "message": message,
                                                        "problems": listed}, status_code=exc.status)
        # `detail` and each `reason` stay English (what scripts match); `message` and each problem's
        # `text` say the same in the caller's language (?lang=, the language cookie or Accept-Language).
        if problems:
            problems = [{**p, "text": t} for p, t in zip(problems, shown, strict=False)]
        return JSONResponse({"detail": str(exc), "message": "; ".join(shown), "problems": problems},
                            status_code=exc.status)

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_html(request) and exc.status_code == 401:
            return drafts.session_ended(request)  # a form sent then is kept for after the login
        if _wants_html(request):
            return render(request, "pages/error.html", {"status": exc.status_code, "message": str(exc.detail),
                                                        "problems": []}, status_code=exc.status_code)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"row": None, "field": ".".join(str(x) for x in e.get("loc", [])[1:]) or "input",
                     "reason": e.get("msg", "invalid")} for e in exc.errors()]
        if _wants_html(request):
            back = drafts.refused_fields(request, drafts.validation_problems(request, exc.errors()))
            if back is not None:  # a staff form: its page again, filled, with the problems
                return back
            return render(request, "pages/error.html", {"status": 422, "message": "invalid input",
                                                        "problems": problems}, status_code=422)
        return JSONResponse({"detail": "invalid input", "problems": problems}, status_code=422)

    @app.exception_handler(PoolTimeout)
    async def no_connection(request: Request, exc: PoolTimeout) -> Response:
        # Every database connection of this process is taken and none came back in time: busy, not broken.
        access_log.warning("no database connection free in time; answering 503")
        return JSONResponse({"detail": "the server is busy; try again in a moment", "problems": []},
                            status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    def data_error(request: Request, exc: Exception) -> Response:
        # A value the database cannot hold (an id above PostgreSQL's INTEGER range in a path or
        # query: DataError; above 2**63-1, which SQLite's driver cannot even bind: OverflowError):
        # bad input, not a server fault. The session has already been rolled back.
        message = "a value is out of the range the database can hold"
        if _wants_html(request):
            back = drafts.refused_fields(request, [gettext(deps.get_lang(request), drafts.OUT_OF_RANGE)])
            if back is not None:
                return back
            return render(request, "pages/error.html", {"status": 422, "message": message, "problems": []},
                          status_code=422)
        return JSONResponse({"detail": message, "problems": []}, status_code=422)

    @app.exception_handler(404)
    def not_found(request: Request, exc: Exception) -> Response:
        if _wants_html(request):
            return render(request, "pages/error.html", {"status": 404, "message": "page not found", "problems": []},
                          status_code=404)
        return JSONResponse({"detail": "not found"}, status_code=404)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """This process's own document (what it serves when addressed directly), built once."""
    if not app.openapi_schema:
        app.openapi_schema = openapi.document(app.routes, app.title, app.version, app.description)
    return app.openapi_schema


def _listener_openapi(app: FastAPI) -> dict[str, Any]:
    """The document of the listener whose docs this process serves (the portal: the public one, the
    office: the staff one), built once from the routers of the roles behind it; else its own."""
    front = fronts.docs_front(app.state.settings.role)
    if front is None:
        return _openapi(app)
    if not hasattr(app.state, "listener_openapi"):
        app.state.listener_openapi = openapi.listener_document(front, routers_for_role, app.title, app.version,
                                                               app.description)
    return app.state.listener_openapi  # type: ignore[no-any-return]
