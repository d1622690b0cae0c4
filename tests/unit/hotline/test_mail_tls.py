"""SMTP with STARTTLS against a real loopback aiosmtpd server that insists on TLS, with a self-signed
certificate made here: mail goes out encrypted when the certificate is trusted (given, or through
SSL_CERT_FILE as MAMORU_SMTP_STARTTLS uses it) and is not sent to a server it cannot verify."""

from __future__ import annotations

import datetime as dt
import ipaddress
import smtplib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mamoru.hotline.mail import mailer_from_settings
from mamoru.hotline.settings import HotlineSettings
from mamoru.mail import OutgoingMail, SmtpMailer

MAIL = OutgoingMail(to="abuse@host.example.test", subject="削除依頼 (C0000001)", body="URL: http://example.test/\n",
                    message_id="<tls1@hotline.mamoru>")


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mamoru test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "smtp.crt", tmp / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class TlsInbox:
    port: int
    cert: Path
    messages: list[EmailMessage] = field(default_factory=list)
    encrypted: list[bool] = field(default_factory=list)


@pytest.fixture
def tls_inbox(tmp_path: Path) -> Iterator[TlsInbox]:
    from aiosmtpd.controller import Controller

    cert, key = _self_signed(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = TlsInbox(port, cert)

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            inbox.encrypted.append(bool(getattr(session, "ssl", None)))
            inbox.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined, arg-type]
            return "250 OK"

    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True)
    controller.start()
    yield inbox
    controller.stop()


def test_starttls_delivers_to_a_trusted_server(tls_inbox: TlsInbox) -> None:
    trusted = ssl.create_default_context(cafile=str(tls_inbox.cert))
    mailer = SmtpMailer("127.0.0.1", tls_inbox.port, "hotline@example.test", starttls=True, tls_context=trusted)
    assert mailer.send(MAIL) == "<tls1@hotline.mamoru>"
    [m] = tls_inbox.messages
    assert tls_inbox.encrypted == [True]
    assert m["Subject"] == MAIL.subject and m["To"] == MAIL.to


def test_the_server_insists_on_tls(tls_inbox: TlsInbox) -> None:
    with pytest.raises(smtplib.SMTPException):
        SmtpMailer("127.0.0.1", tls_inbox.port, "hotline@example.test").send(MAIL)
    assert tls_inbox.messages == []


def test_an_unverifiable_certificate_stops_the_mail(tls_inbox: TlsInbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    mailer = SmtpMailer("127.0.0.1", tls_inbox.port, "hotline@example.test", starttls=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        mailer.send(MAIL)
    assert tls_inbox.messages == []


def test_settings_starttls_verifies_against_ssl_cert_file(tls_inbox: TlsInbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_inbox.cert))
    hs = HotlineSettings(mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=tls_inbox.port,
                         mail_from="hotline@example.test", smtp_starttls=True)
    mailer = mailer_from_settings(hs)
    assert isinstance(mailer, SmtpMailer) and mailer.starttls
    mailer.send(MAIL)
    assert tls_inbox.encrypted == [True] and len(tls_inbox.messages) == 1
