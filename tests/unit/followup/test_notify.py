"""Mail backends against one interface; the SMTP backend against a real local aiosmtpd server."""

from __future__ import annotations

import io
import socket

import pytest

from mamoru.config import Settings
from mamoru.followup.notify import (
    ConsoleMailBackend,
    Mail,
    MailBackend,
    MemoryMailBackend,
    SmtpMailBackend,
    backend_from_settings,
    deliver,
)

MAIL = Mail(("npa@example.go.jp",), "[mamoru] 1-1 NPA: returned", "差し戻されました\nReturned with a comment.")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):  # type: ignore[misc]
        def handle_message(self, message):  # type: ignore[no-untyped-def]
            received.append(message)

    port = _port()
    ctl = Controller(Keep(), hostname="127.0.0.1", port=port)
    ctl.start()
    yield port, received
    ctl.stop()


def test_smtp_backend_delivers_to_a_real_server(smtp_server) -> None:  # type: ignore[no-untyped-def]
    port, received = smtp_server
    backend: MailBackend = SmtpMailBackend(host="127.0.0.1", port=port, sender="office@example.go.jp")
    assert deliver(backend, MAIL)
    assert len(received) == 1
    msg = received[0]
    assert msg["To"] == "npa@example.go.jp" and msg["From"] == "office@example.go.jp"
    assert "差し戻されました" in msg.get_payload(decode=True).decode("utf-8")


def test_console_and_memory_backends_keep_the_same_message() -> None:
    out = io.StringIO()
    backends: list[MailBackend] = [ConsoleMailBackend(stream=out), MemoryMailBackend()]
    for b in backends:
        assert deliver(b, MAIL)
    assert "Subject: [mamoru] 1-1 NPA: returned" in out.getvalue()
    assert backends[1].outbox == [MAIL]  # type: ignore[attr-defined]


def test_a_failed_delivery_is_reported_not_raised() -> None:
    assert deliver(SmtpMailBackend(host="127.0.0.1", port=_port(), timeout=2), MAIL) is False
    assert deliver(MemoryMailBackend(), Mail((), "s", "b")) is False


def test_backend_chosen_in_settings() -> None:
    smtp = backend_from_settings(Settings(mail_backend="smtp", smtp_host="mail.example", smtp_port=587))
    assert isinstance(smtp, SmtpMailBackend) and smtp.port == 587
    assert isinstance(backend_from_settings(Settings()), ConsoleMailBackend)
    env = Settings.from_env({"MAMORU_MAIL_BACKEND": "smtp", "MAMORU_SMTP_STARTTLS": "1"})
    assert env.mail_backend == "smtp" and env.smtp_starttls
