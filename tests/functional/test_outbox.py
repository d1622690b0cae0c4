"""The default mail backend keeps mail in the outbox, and the administrator reads it at /admin/outbox
(Japan time, both languages); nobody else may."""

from __future__ import annotations

from mamoru.auth import roles
from mamoru.mail import OutboxMailer, OutgoingMail


def test_the_administrator_reads_what_mamoru_sent(app, client, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    mailer = app.state.mailer
    assert isinstance(mailer, OutboxMailer)  # MAMORU_MAIL_BACKEND unset: nothing leaves the machine
    mailer.send(OutgoingMail("abuse@host.example.test", "削除依頼 (C0000001)", "URL: http://example.test/x\n"))
    login_as(make_user(roles.ANALYST))
    assert client.get("/admin/outbox").status_code == 403
    login_as(make_user(roles.ADMINISTRATOR))
    ja = client.get("/admin/outbox?lang=ja")
    assert ja.status_code == 200 and "送信メール控え" in ja.text and "このマシンから外へは送られません" in ja.text
    assert "削除依頼 (C0000001)" in ja.text and "abuse@host.example.test" in ja.text and "URL: http://example.test/x" in ja.text
    assert " JST</span>" in ja.text
    en = client.get("/admin/outbox?lang=en")
    assert "Mail outbox" in en.text and "Sent to" in en.text
