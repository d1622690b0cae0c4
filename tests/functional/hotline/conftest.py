"""Hotline fixtures: a local "reported site" (HTTP on loopback that records every request), a real
local SMTP server (aiosmtpd), a hotline runtime wired to them, and the plan's definitions."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.hotline.checker import RemovalChecker
from mamoru.hotline.contacts import ContactCipher
from mamoru.hotline.runtime import HotlineRuntime, PublicFormRuntime
from mamoru.hotline.settings import HotlineSettings
from mamoru.hotline.tracing import StaticResolver
from mamoru.mail import SmtpMailer
from mamoru.ratelimit import MemoryRateLimiter

BENIGN_BODY = b"<html><body>an ordinary test page</body></html>"


@dataclass
class ReportedSite:
    """Stands in for a reported address: answers `status` to every path and records each request."""

    port: int = 0
    status: int = 200
    requests: list[tuple[str, str]] = field(default_factory=list)
    head_allowed: bool = True
    redirects: dict[str, str] = field(default_factory=dict)

    def url(self, path: str = "/page") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(site: ReportedSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bool) -> None:
            site.requests.append((self.command, self.path))
            if self.path in site.redirects:
                self.send_response(302)
                self.send_header("Location", site.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.command == "HEAD" and not site.head_allowed:
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(site.status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(BENIGN_BODY)))
            self.end_headers()
            if body:
                self.wfile.write(BENIGN_BODY)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(False)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(True)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def reported_site() -> Iterator[ReportedSite]:
    site = ReportedSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    def by_subject(self, text: str) -> list[Message]:
        return [m for m in self.messages if text in str(m["Subject"])]


@pytest.fixture
def smtp_server() -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    inbox = Inbox("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            inbox.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined]
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def hotline_settings(smtp_server: Inbox) -> HotlineSettings:
    return HotlineSettings(check_allow_loopback_for_tests=True, check_timeout=5.0, police_email="police@example.test",
                           escalation_email="lead@example.test", mail_backend="smtp", smtp_host=smtp_server.host,
                           smtp_port=smtp_server.port, public_rate=(5, 600), flagger_rate=(50, 60),
                           status_rate=(6, 600))


@pytest.fixture
def runtime(hotline_settings: HotlineSettings) -> HotlineRuntime:
    hs = hotline_settings
    resolver = StaticResolver({"site.example.jp": ["203.0.113.10"], "intranet.example.jp": ["10.1.2.3"]})
    return HotlineRuntime(settings=hs, mailer=SmtpMailer(hs.smtp_host, hs.smtp_port, "hotline@example.test"),
                          resolver=resolver,
                          checker=RemovalChecker(resolver, timeout=5.0, max_redirects=3, allow_loopback=True),
                          limiter=MemoryRateLimiter(), secret="test-secret", contacts=ContactCipher.generate())


@pytest.fixture
def hotline_app(app, runtime: HotlineRuntime):  # type: ignore[no-untyped-def]
    app.state.hotline_runtime = runtime
    return app


@pytest.fixture
def hl_client(client, hotline_app):  # type: ignore[no-untyped-def]
    """The shared TestClient (so `login_as` logs this one in) on the app wired to the local servers."""
    return client


@pytest.fixture
def intake_client(settings: Any, database: Any, runtime: HotlineRuntime) -> Iterator[Any]:
    """An intake process on the test database: the hotline's public key only, its own limiter."""
    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    public = settings.var_dir / "keys" / "contact.pub"  # the intake refuses to start without it
    public.parent.mkdir(parents=True, exist_ok=True)
    public.write_text(runtime.contacts.public_line() + "\n")
    app = create_app(replace(settings, role="intake"), database)
    app.state.public_form_runtime = PublicFormRuntime(settings=runtime.settings, limiter=MemoryRateLimiter(),
                                                      secret="test-secret", contacts=runtime.contacts.sealer())
    with TestClient(app) as c:
        yield c


@pytest.fixture
def definitions(session: Session) -> list[str]:
    """The plan's definitions the verdicts cite (created when the shipped plan is not loaded)."""
    from mamoru.plan.models import DefinitionTerm

    wanted = [("child-pornography", "Production of child pornography", "児童ポルノの製造"),
              ("child-prostitution", "Child prostitution", "児童買春")]
    have = set(session.scalars(select(DefinitionTerm.code)))
    for pos, (code, en, ja) in enumerate(wanted, start=100):
        if code not in have:
            session.add(DefinitionTerm(code=code, title_en=en, title_ja=ja, position=pos))
    session.commit()
    return [w[0] for w in wanted]
