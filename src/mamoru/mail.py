"""Mail mamoru sends (deletion requests, police alerts, follow-up notices): one interface, four ways.

- `smtp`: production. With STARTTLS or SMTPS the server's certificate and name are verified against
  the system's trusted authorities (OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR name another bundle): a
  deletion request names an address of illegal content and must not go to whoever sits in the middle.
- `outbox` (the default): each message is written as a file into MAMORU_MAIL_OUTBOX, where the
  administrator reads it in the web application (/admin/outbox); nothing leaves the machine.
- `console`: printed to standard error. `memory`: kept in a list (tests).

Each message gets a Message-ID chosen here, so deletion requests can thread their re-sends
(In-Reply-To the first request).
"""

from __future__ import annotations

import logging
import smtplib
import ssl as tlslib
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Protocol, TextIO

from mamoru import files

log = logging.getLogger("mamoru.mail")

BACKENDS = ("outbox", "smtp", "console", "memory")


@dataclass(frozen=True)
class OutgoingMail:
    to: str  # one address, or several separated by ", "
    subject: str
    body: str
    message_id: str = ""
    in_reply_to: str = ""


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Send; return the Message-ID. Raises OSError or smtplib.SMTPException on failure."""
        ...


class MailSettings(Protocol):
    """What building a mailer reads (the core Settings, and the hotline's, which shares them)."""

    @property
    def mail_backend(self) -> str: ...
    @property
    def mail_from(self) -> str: ...
    @property
    def mail_outbox(self) -> Path: ...
    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def smtp_user(self) -> str: ...
    @property
    def smtp_password(self) -> str: ...
    @property
    def smtp_starttls(self) -> bool: ...


def new_message_id() -> str:
    return make_msgid(domain="mamoru")


def build_message(mail: OutgoingMail, sender: str, sender_name: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = mail.message_id or new_message_id()
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
        msg["References"] = mail.in_reply_to
    msg.set_content(mail.body, charset="utf-8")
    return msg


@dataclass
class SmtpMailer:
    host: str
    port: int
    sender: str
    sender_name: str = "mamoru"
    username: str = ""
    password: str = ""
    starttls: bool = False
    ssl: bool = False
    timeout: float = 10.0
    tls_context: tlslib.SSLContext | None = None  # None: verify against the system's trusted authorities

    def send(self, mail: OutgoingMail) -> str:
        msg = build_message(mail, self.sender, self.sender_name)
        context = self.tls_context or tlslib.create_default_context()
        smtp = (smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context) if self.ssl
                else smtplib.SMTP(self.host, self.port, timeout=self.timeout))
        with smtp:
            if self.starttls and not self.ssl:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(msg)
        return str(msg["Message-ID"])


@dataclass
class OutboxMailer:
    """Writes each message whole (temporary file, then rename) as `<UTC time>-<n>.eml` in `folder`."""

    folder: Path
    sender: str = "mamoru@localhost"
    sender_name: str = "mamoru"

    def send(self, mail: OutgoingMail) -> str:
        msg = build_message(mail, self.sender, self.sender_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        n = 0
        while (path := self.folder / f"{stamp}-{n}.eml").exists():
            n += 1
        files.replace(path, msg.as_bytes(), mode=0o600)
        return str(msg["Message-ID"])


@dataclass
class ConsoleMailer:
    sender: str = "mamoru@localhost"
    sender_name: str = "mamoru"
    stream: TextIO | None = None

    def send(self, mail: OutgoingMail) -> str:
        msg = build_message(mail, self.sender, self.sender_name)
        (self.stream or sys.stderr).write(msg.as_string() + "\n" + "-" * 60 + "\n")
        return str(msg["Message-ID"])


@dataclass
class MemoryMailer:
    """Tests: `outbox` holds the messages as sent, `sent` the mails as given."""

    outbox: list[EmailMessage] = field(default_factory=list)
    sender: str = "mamoru@localhost"
    sender_name: str = "mamoru"
    sent: list[OutgoingMail] = field(default_factory=list)

    def send(self, mail: OutgoingMail) -> str:
        msg = build_message(mail, self.sender, self.sender_name)
        self.outbox.append(msg)
        self.sent.append(mail)
        return str(msg["Message-ID"])


def mailer_from_settings(settings: MailSettings, sender_name: str = "mamoru", smtp_ssl: bool = False) -> Mailer:
    kind = settings.mail_backend
    if kind == "smtp":
        return SmtpMailer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from,
                          sender_name=sender_name, username=settings.smtp_user, password=settings.smtp_password,
                          starttls=settings.smtp_starttls, ssl=smtp_ssl)
    if kind == "memory":
        return MemoryMailer(sender=settings.mail_from, sender_name=sender_name)
    if kind == "console":
        return ConsoleMailer(sender=settings.mail_from, sender_name=sender_name)
    return OutboxMailer(settings.mail_outbox, sender=settings.mail_from, sender_name=sender_name)


def deliver(mailer: Mailer, mail: OutgoingMail) -> bool:
    """Send, never letting a mail failure undo the work that caused it; failures are logged."""
    if not mail.to:
        return False
    try:
        mailer.send(mail)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to %s not sent: %s", mail.to, exc)
        return False


@dataclass(frozen=True)
class StoredMail:
    name: str
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        return str(part.get_content()) if part is not None else ""


def read_outbox(folder: Path, limit: int = 200) -> list[StoredMail]:
    """The newest `limit` messages of the outbox, newest first."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    out = []
    for path in paths:
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        out.append(StoredMail(path.name, msg))
    return out
