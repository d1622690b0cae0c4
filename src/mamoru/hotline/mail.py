"""The hotline's mailer: mamoru.mail with the hotline's sender name and its SMTPS choice
(MAMORU_HOTLINE_SMTP_SSL); the mail server itself is the shared one of the core settings."""

from __future__ import annotations

from mamoru import mail
from mamoru.hotline.settings import HotlineSettings


def mailer_from_settings(hs: HotlineSettings) -> mail.Mailer:
    return mail.mailer_from_settings(hs, sender_name=hs.sender_name, smtp_ssl=hs.smtp_ssl)
