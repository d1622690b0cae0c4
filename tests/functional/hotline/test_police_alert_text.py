"""The police alert for a child possibly in immediate danger carries what the reporter wrote
(issue 12): the police act on the description, not only on the URL."""

from __future__ import annotations

from tests.factories import hotline

from mamoru.hotline import notices
from mamoru.hotline.settings import HotlineSettings
from mamoru.mail import MemoryMailer


def test_the_police_alert_carries_the_reporters_description(session) -> None:  # type: ignore[no-untyped-def]
    description = "A chat room where an adult asks a pupil to meet tonight.\nThe pupil names her school."
    case = hotline.report(session, "http://danger.example.test/room", immediate_danger=True,
                          description=description).case
    mailer = MemoryMailer()
    assert notices.alert_police(session, case, mailer, HotlineSettings(police_email="police@example.test"))
    body = mailer.sent[0].body
    assert "通報者の説明 / What the reporter wrote:" in body
    assert "  A chat room where an adult asks a pupil to meet tonight.\n  The pupil names her school." in body


def test_an_alert_without_a_description_says_none_was_given(session) -> None:  # type: ignore[no-untyped-def]
    case = hotline.report(session, "http://danger.example.test/silent", immediate_danger=True).case
    mailer = MemoryMailer()
    assert notices.alert_police(session, case, mailer, HotlineSettings(police_email="police@example.test"))
    assert "（記載なし / none given）" in mailer.sent[0].body
