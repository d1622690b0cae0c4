"""A ceiling on request bodies, enforced before any route reads them.

Every upload mamoru takes is small (a CSV of URLs, a follow-up spreadsheet, a JSON batch of
hashes); the largest route limit is 5 MB. A body over MAX_REQUEST_BYTES is refused with 413: at
once when Content-Length says so, otherwise as soon as the streamed body passes the ceiling.
Nothing of the refused body is kept or logged.
"""

from __future__ import annotations

import asyncio
import json
import re
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from html import escape
from http.cookies import SimpleCookie
from typing import Any

from mamoru.i18n import LANGS, gettext, negotiate

MAX_REQUEST_BYTES = 8 * 1024 * 1024
UPLOAD_LIMIT_BYTES = 5 * 1024 * 1024
"""Per-route limit for spreadsheet and CSV uploads (checked by the routes)."""


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Pure ASGI middleware: 413 for request bodies over `max_bytes`."""

    def __init__(self, app: Any, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await self._refuse(send, 400, "Content-Length is not a number")
                return
            if declared > self.max_bytes:
                await self._too_large(scope, send)
                return
        seen = 0
        started = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except* _TooLarge:  # Starlette's BaseHTTPMiddleware re-raises it inside an ExceptionGroup
            if not started:
                await self._too_large(scope, send)

    def _message(self) -> str:
        return f"the request body is over the limit of {self.max_bytes // (1024 * 1024)} MB"

    async def _too_large(self, scope: dict[str, Any], send: Any) -> None:
        """413: JSON for the API; for a page, a page in the user's language saying what to do
        (nothing of the body was read, so nothing of it can be kept: the browser's Back keeps it)."""
        if str(scope.get("path", "")).startswith("/api/"):
            await self._refuse(send, 413, self._message())
            return
        body = too_large_page(dict(scope.get("headers") or []), self.max_bytes // (1024 * 1024)).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                                (b"cache-control", b"no-store"), (b"content-security-policy", CSP_PLAIN),
                                (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY")]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _refuse(send: Any, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail, "problems": []}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


TOO_LARGE = ("What you sent is over the limit of {mb} MB, so nothing of it was read or saved. Go back (your "
             "browser keeps what you typed), shorten the longest field and send the form again.")
CSP_PLAIN = b"default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"


def too_large_page(headers: dict[bytes, bytes], mb: int) -> str:
    """The page answering a form too large to read, in the language of the cookie or the browser."""
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # noqa: BLE001 (a malformed cookie header: use the browser's language)
        cookies = SimpleCookie()
    chosen = cookies.get("mamoru_lang")
    lang = chosen.value if chosen is not None and chosen.value in LANGS else \
        negotiate(headers.get(b"accept-language", b"").decode("latin-1") or None, "ja")
    title, text = escape(gettext(lang, "Too large")), escape(gettext(lang, TOO_LARGE, mb=mb))
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} - mamoru</title>'
            f'<link rel="stylesheet" href="/static/mamoru.css"></head><body><main><h1>{title}</h1>'
            f'<p class="error" role="alert">{text}</p></main></body></html>')


async def read_upload(file: Any, limit: int = UPLOAD_LIMIT_BYTES) -> bytes:
    """The bytes of an uploaded file (a Starlette UploadFile), or 413 when it is over `limit`.
    Reads at most limit + 1 bytes; the parser's spooled temporary file is removed on close."""
    from fastapi import HTTPException

    try:
        data: bytes = await file.read(limit + 1)
    finally:
        await file.close()
    if len(data) > limit:
        raise HTTPException(413, f"an uploaded file is at most {limit // (1024 * 1024)} MB")
    return data


NO_FILES_MESSAGE = "mamoru takes no files: send only the address (URL) of the page."
"""The refusal of a file sent to a route that takes none (translated in messages.po)."""
NO_FILES_API_MESSAGE = ("mamoru takes no files: send JSON, as this operation's documentation says "
                        "(images are hashed where they are; only hashes are sent).")
"""The API's refusal (always English, as the API's other refusals)."""


def is_multipart(content_type: str | bytes | None) -> bool:
    """Whether a Content-Type header names a multipart body (the only kind that carries files)."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return (content_type or "").split(";", 1)[0].strip().lower().startswith("multipart/")


def takes_files(route: Any) -> bool:
    from fastapi import params

    dependant = getattr(route, "dependant", None)
    return any(isinstance(getattr(f, "field_info", None), params.File)
               for f in getattr(dependant, "body_params", None) or [])


def upload_routes(routes: Iterable[Any]) -> list[tuple[frozenset[str], re.Pattern[str]]]:
    """(methods, path pattern) of every route whose body declares a file (FastAPI `File(...)`),
    walking included routers (FastAPI keeps them as branches holding `original_router`)."""
    found: list[tuple[frozenset[str], re.Pattern[str]]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += upload_routes(inner.routes)
        elif takes_files(route):
            found.append((frozenset(route.methods or ()), route.path_regex))
    return found


class NoFilesUnlessUploaded:
    """Pure ASGI middleware: a multipart body (the only kind that carries a file) is refused with 415
    by its Content-Type, before one byte of it is read, unless the route declares a file upload
    (spreadsheet, CSV and hash imports). mamoru never receives content: the public report form and
    every other form are urlencoded, and the JSON API takes JSON. Starlette's multipart parser would
    otherwise spool each part over 1 MB to a temporary file while reading the body."""

    def __init__(self, app: Any, uploads: list[tuple[frozenset[str], re.Pattern[str]]]) -> None:
        self.app = app
        self.uploads = uploads

    def _allowed(self, scope: dict[str, Any]) -> bool:
        method, path = scope.get("method", ""), scope.get("path", "")
        return any(method in methods and pattern.match(path) for methods, pattern in self.uploads)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or not is_multipart(dict(scope.get("headers") or []).get(b"content-type"))
                or self._allowed(scope)):
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request

        from mamoru.i18n import gettext
        from mamoru.web.deps import get_lang

        request = Request(scope)
        if str(scope.get("path", "")).startswith("/api/"):  # the API answers in English, as its other refusals
            body = json.dumps({"detail": NO_FILES_API_MESSAGE,
                               "problems": [{"row": None, "field": "body", "reason": NO_FILES_API_MESSAGE}]})
            response: Any = _json_response(body, 415)
        else:
            from mamoru.web.templating import render

            message = gettext(get_lang(request), NO_FILES_MESSAGE)
            response = render(request, "pages/error.html", {"status": 415, "message": message, "problems": []},
                              status_code=415)
        response.headers["connection"] = "close"  # the unread body is not worth waiting for
        await response(scope, receive, send)


def _json_response(body: str, status: int) -> Any:
    from starlette.responses import Response

    return Response(body, status_code=status, media_type="application/json")


class BodyFirst:
    """Pure ASGI middleware: the whole request body is read (within `seconds`, else 408) before the
    request goes further in, then handed to the application as one message.

    What comes after it holds something scarce while a request runs: a place among the requests in
    flight (ConcurrencyLimit), the one request at a time on embedded SQLite (OneAtATime), a worker
    thread and a database connection. A client that sends its body slowly (one byte a second, a
    stalled upload) holds none of them: it waits here, alone, and is cut off after `seconds` for the
    whole body. The size ceiling is BodyLimit's, outside this one (at most MAX_REQUEST_BYTES are held
    in memory per request).
    """

    def __init__(self, app: Any, seconds: float = 10.0) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def read_all() -> bool:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return False
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    return True

        try:
            complete = await asyncio.wait_for(read_all(), self.seconds)
        except TimeoutError:
            await _refuse(send, 408, f"the request body did not arrive within {self.seconds:g} s")
            return
        if not complete:
            return  # the client went away; nobody to answer
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            message: dict[str, Any] = await receive()  # after the body: wait for the disconnect
            return message

        await self.app(scope, replay, send)


class ConcurrencyLimit:
    """Pure ASGI middleware: at most `limit` requests in flight in this process; up to `queue` more
    wait (at most `wait` seconds) for a place; beyond that, or after waiting, 503 with Retry-After.

    Why (docs/performance.md, Load, concurrency sweep): a sync route runs in AnyIO's pool of worker
    threads, and a request needs a thread again to commit (web/commit.py) after it has taken a
    database connection. Unbounded, every thread could be waiting for a connection held by requests
    that wait for a thread to commit: the process stalled until the pool's timeout, then answered 500.
    With fewer requests in flight than worker threads and database connections (make_engine sizes the
    pool to the limit), every request that is let in can finish. Health checks skip the queue.
    """

    def __init__(self, app: Any, limit: int = 32, queue: int = 512, wait: float = 2.0) -> None:
        self.app = app
        self.limit, self.queue, self.wait = limit, queue, wait
        self.waiting = 0
        self.places: weakref.WeakKeyDictionary[Any, asyncio.Semaphore] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") == "/api/v1/health":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()  # one semaphore per event loop (test clients start their own)
        places = self.places.get(loop)
        if places is None:
            places = self.places[loop] = asyncio.Semaphore(self.limit)
        if places.locked():
            if self.waiting >= self.queue:
                await _busy(send)
                return
            self.waiting += 1
            try:
                await asyncio.wait_for(places.acquire(), self.wait)  # first come, first served
            except TimeoutError:
                await _busy(send)
                return
            finally:
                self.waiting -= 1
        else:
            await places.acquire()
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()


async def _busy(send: Any) -> None:
    # The body has been read (BodyFirst): the connection can stay open for the client's next try.
    await _refuse(send, 503, "the server is busy; try again in a moment", [(b"retry-after", b"1")], close=False)


async def _refuse(send: Any, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None,
                  close: bool = True) -> None:
    body = json.dumps({"detail": detail, "problems": []}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *([(b"connection", b"close")] if close else []), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class OneAtATime:
    """Pure ASGI middleware for an app on embedded SQLite: one HTTP request at a time.

    SQLite allows one writer, and a request's transaction spans several worker threads
    (dependencies, endpoint, commit). Waiting for the lock inside a thread can starve the thread
    that would release it, and not waiting fails with "database is locked" (both measured with
    bench/load.py). Queueing whole requests on an asyncio lock, in the event loop, holds no thread
    and no connection while waiting. Static files skip the queue. PostgreSQL apps don't use this.
    The body has been read before (BodyFirst): a client sending it slowly never holds the queue.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith("/static/"):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()  # one lock per event loop (test clients start their own)
        lock = self.locks.get(loop)
        if lock is None:
            lock = self.locks[loop] = asyncio.Lock()
        async with lock:
            await self.app(scope, receive, send)


ANSWER_AFTER = "answer_after"
"""The request-state key a route sets (answer_after) to have its answer held back that many seconds."""


def answer_after(request: Any, seconds: float) -> None:
    """Have this request's response sent `seconds` later, by AnswerLater, once the request is done."""
    if seconds > 0:
        setattr(request.state, ANSWER_AFTER, float(seconds))


async def wait_before_answer(seconds: float) -> None:
    """The wait itself (asyncio's: no thread is held); tests replace it."""
    await asyncio.sleep(seconds)


class AnswerLater:
    """Pure ASGI middleware, outside OneAtATime and CommitBeforeResponse: when a route asked for a
    slowed answer (answer_after; the sign-in page after wrong passwords), the response is collected,
    the application finishes (its transaction committed, its session closed, SQLite's turn given
    back), and only then does the wait start, in the event loop; then the response is sent. So a
    slowed answer holds no database connection, worker thread or queue place while it waits."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Any] = []
        holding = False

        async def maybe_hold(message: dict[str, Any]) -> None:
            nonlocal holding
            if message["type"] == "http.response.start":
                holding = bool((scope.get("state") or {}).get(ANSWER_AFTER))
            if holding:
                held.append(message)
            else:
                await send(message)

        await self.app(scope, receive, maybe_hold)
        if held:
            await wait_before_answer(float(scope["state"][ANSWER_AFTER]))
            for message in held:
                await send(message)


def threads_for(threads: int) -> Any:
    """A startup hook giving AnyIO's worker thread pool (sync routes and dependencies, commits) at
    least `threads` threads: one for each request let in (ConcurrencyLimit) and each connection."""

    async def size_thread_pool() -> None:
        import anyio.to_thread

        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(int(limiter.total_tokens), threads)
        # the loop's own executor: the hot routes' one hop (web/deps.py in_thread)
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mamoru-hop"))

    return size_thread_pool
