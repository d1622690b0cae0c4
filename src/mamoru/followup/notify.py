"""Telling people about their entries: a mail backend interface with SMTP, console and memory backends.

The backend is chosen in settings (MAMORU_MAIL_BACKEND): `smtp` in production, `console` for
development (mail printed to standard error), `memory` for tests. Messages are plain text in both
languages, since officers read them in either.
"""

from __future__ import annotations

import logging
import smtplib
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol, TextIO

from mamoru.config import Settings

log = logging.getLogger("mamoru.mail")


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str


class MailBackend(Protocol):
    def send(self, mail: Mail) -> None: ...


def _message(mail: Mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(mail.to)
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    return msg


@dataclass
class ConsoleMailBackend:
    """Development: prints each message instead of sending it."""

    sender: str = "mamoru@localhost"
    stream: TextIO | None = None

    def send(self, mail: Mail) -> None:
        out = self.stream or sys.stderr
        out.write(_message(mail, self.sender).as_string() + "\n" + "-" * 60 + "\n")


@dataclass
class MemoryMailBackend:
    """Tests: keeps messages in `outbox`."""

    outbox: list[Mail] = field(default_factory=list)

    def send(self, mail: Mail) -> None:
        self.outbox.append(mail)


@dataclass
class SmtpMailBackend:
    """Production: sends through an SMTP server (STARTTLS and login when configured)."""

    host: str
    port: int = 25
    sender: str = "mamoru@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    def send(self, mail: Mail) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(_message(mail, self.sender))


_MEMORY = MemoryMailBackend()


def backend_from_settings(settings: Settings | None) -> MailBackend:
    if settings is None:
        return ConsoleMailBackend()
    kind = settings.mail_backend
    if kind == "smtp":
        return SmtpMailBackend(host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from,
                               username=settings.smtp_user, password=settings.smtp_password,
                               starttls=settings.smtp_starttls)
    if kind == "memory":
        return _MEMORY
    if kind == "none":
        return MemoryMailBackend()
    return ConsoleMailBackend(sender=settings.mail_from)


def deliver(backend: MailBackend, mail: Mail) -> bool:
    """Send, never letting a mail failure undo the work that caused it; failures are logged."""
    if not mail.to:
        return False
    try:
        backend.send(mail)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to %s not sent: %s", ", ".join(mail.to), exc)
        return False
