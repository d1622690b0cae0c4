"""Every Mailer implementation against the interface, the SMTP one with a real local aiosmtpd server."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from mamoru.hotline.mail import ConsoleMailer, MemoryMailer, OutgoingMail, SmtpMailer


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
