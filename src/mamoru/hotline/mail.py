"""Sending the hotline's mail: an interface with SMTP, console and in-memory implementations.

Deletion requests thread their re-sends (In-Reply-To the first request), so each message gets a
Message-ID chosen here and recorded on the DeletionRequest.

With STARTTLS or SMTPS the server's certificate and name are verified against the system's trusted
authorities (OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR name another bundle): a deletion request names an
address of illegal content and must not go to whoever sits in the middle.
"""

from __future__ import annotations

import smtplib
import ssl as tlslib
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

from mamoru.hotline.settings import HotlineSettings


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str
    message_id: str = ""
    in_reply_to: str = ""


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Send; return the Message-ID. Raises OSError or smtplib.SMTPException on failure."""
        ...


def new_message_id() -> str:
    return make_msgid(domain="hotline.mamoru")


def build_message(mail: OutgoingMail, sender: str, sender_name: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
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
    sender_name: str = "mamoru hotline"
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
class ConsoleMailer:
    sender: str = "mamoru@localhost"

    def send(self, mail: OutgoingMail) -> str:
        msg = build_message(mail, self.sender, "mamoru hotline")
        sys.stderr.write(msg.as_string() + "\n" + "-" * 60 + "\n")
        return str(msg["Message-ID"])


@dataclass
class MemoryMailer:
    outbox: list[EmailMessage] = field(default_factory=list)
    sender: str = "mamoru@localhost"

    def send(self, mail: OutgoingMail) -> str:
        msg = build_message(mail, self.sender, "mamoru hotline")
        self.outbox.append(msg)
        return str(msg["Message-ID"])


def mailer_from_settings(hs: HotlineSettings) -> Mailer:
    if hs.mail_backend == "smtp":
        return SmtpMailer(host=hs.smtp_host, port=hs.smtp_port, sender=hs.mail_from, sender_name=hs.sender_name,
                          username=hs.smtp_user, password=hs.smtp_password, starttls=hs.smtp_starttls, ssl=hs.smtp_ssl)
    if hs.mail_backend == "memory":
        return MemoryMailer(sender=hs.mail_from)
    return ConsoleMailer(sender=hs.mail_from)
