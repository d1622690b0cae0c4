"""Commit the request's unit of work before the response starts, not after it is sent.

FastAPI runs the exit code of a `yield` dependency (get_session's commit) after the response has
been sent, so a browser that follows a 303 redirect could load the next page before the change is
stored, and a failing commit would follow a response that already said "done". This ASGI
middleware commits the session that get_session placed in the request state when the application
starts its response; if that commit fails, the client gets a 500 instead of a false success.
The later exit of get_session then finds nothing left to commit.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("mamoru.web")


class CommitBeforeResponse:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        failed = False

        async def send_after_commit(message: Message) -> None:
            nonlocal failed
            if message["type"] == "http.response.start":
                session: Any = scope.get("state", {}).get("db_session")
                if session is not None and session.is_active and (session.new or session.dirty or session.deleted
                                                                   or session.in_transaction()):
                    try:
                        await run_in_threadpool(session.commit)
                    except Exception:
                        log.exception("commit failed; answering 500")
                        failed = True
                        await run_in_threadpool(session.rollback)
                        await send({"type": "http.response.start", "status": 500,
                                    "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                        await send({"type": "http.response.body", "body": b"the change could not be saved"})
                        return
            elif failed:
                return
            await send(message)

        await self.app(scope, receive, send_after_commit)
