"""Every Mailer implementation of mamoru.mail against the interface, the SMTP one with a real local aiosmtpd
server; the outbox as the administrator reads it; the backend chosen in settings."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from mamoru.config import Settings
from mamoru.hotline.mail import mailer_from_settings as hotline_mailer
from mamoru.hotline.settings import HotlineSettings
from mamoru.mail import (
    ConsoleMailer,
    MemoryMailer,
    OutboxMailer,
    OutgoingMail,
    SmtpMailer,
    deliver,
    mailer_from_settings,
    read_outbox,
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


MAIL = OutgoingMail(to="abuse@host.example.test", subject="削除依頼 (C0000001)", body="URL: http://example.test/\n",
                    message_id="<m1@hotline.mamoru>", in_reply_to="<m0@hotline.mamoru>")


def test_smtp_mailer_with_local_server() -> None:
    from aiosmtpd.controller import Controller

    got: list[EmailMessage] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            got.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined, arg-type]
            return "250 OK"

    port = _port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mid = SmtpMailer("127.0.0.1", port, "hotline@example.test").send(MAIL)
    finally:
        controller.stop()
    [m] = got
    assert mid == "<m1@hotline.mamoru>" == m["Message-ID"]
    assert m["Subject"] == MAIL.subject and m["In-Reply-To"] == "<m0@hotline.mamoru>"
    assert m.get_content().replace("\r\n", "\n") == MAIL.body


def test_memory_and_console_mailers_follow_the_interface(capsys) -> None:  # type: ignore[no-untyped-def]
    mem = MemoryMailer()
    assert mem.send(MAIL) == "<m1@hotline.mamoru>" and mem.outbox[0]["To"] == MAIL.to
    assert ConsoleMailer().send(MAIL) == "<m1@hotline.mamoru>"
    assert "abuse@host.example.test" in capsys.readouterr().err


def test_outbox_keeps_each_message_whole_for_the_administrator(tmp_path: Path) -> None:
    box = OutboxMailer(tmp_path / "outbox", sender="office@example.go.jp")
    first = box.send(MAIL)
    second = box.send(OutgoingMail("npa@example.go.jp, mic@example.go.jp", "[mamoru] 差し戻し", "本文です。\n"))
    stored = read_outbox(tmp_path / "outbox")
    assert [m.message["Message-ID"] for m in stored] == [second, first]  # newest first
    assert stored[0].message["To"] == "npa@example.go.jp, mic@example.go.jp"
    assert stored[0].message["Subject"] == "[mamoru] 差し戻し" and stored[0].body.replace("\r\n", "\n") == "本文です。\n"
    assert [p.suffix for p in (tmp_path / "outbox").iterdir()] == [".eml", ".eml"]  # no temporary file left
    assert read_outbox(tmp_path / "nothing-yet") == []


def test_a_failed_delivery_is_reported_not_raised() -> None:
    assert deliver(SmtpMailer("127.0.0.1", _port(), "office@example.go.jp", timeout=2), MAIL) is False
    assert deliver(MemoryMailer(), OutgoingMail("", "s", "b")) is False


def test_backend_chosen_in_settings(tmp_path: Path) -> None:
    default = Settings.from_env({"MAMORU_VAR_DIR": str(tmp_path)})
    assert default.mail_backend == "outbox" and default.mail_outbox == tmp_path / "outbox"
    outbox = mailer_from_settings(default)
    assert isinstance(outbox, OutboxMailer) and outbox.folder == tmp_path / "outbox"
    smtp = mailer_from_settings(Settings.from_env({"MAMORU_MAIL_BACKEND": "smtp", "MAMORU_SMTP_HOST": "mail.example",
                                                   "MAMORU_SMTP_PORT": "587", "MAMORU_SMTP_STARTTLS": "1"}))
    assert isinstance(smtp, SmtpMailer) and (smtp.port, smtp.starttls, smtp.ssl) == (587, True, False)
    assert isinstance(mailer_from_settings(Settings.from_env({"MAMORU_MAIL_BACKEND": "console"})), ConsoleMailer)
    hotline = hotline_mailer(HotlineSettings(mail_backend="smtp", smtp_ssl=True))
    assert isinstance(hotline, SmtpMailer) and hotline.ssl and hotline.sender_name == "mamoru hotline"
