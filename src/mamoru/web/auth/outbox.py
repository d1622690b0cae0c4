"""The mail outbox page (/admin/outbox): what mamoru would have sent, for the administrator to read
when MAMORU_MAIL_BACKEND=outbox (the default: nothing leaves the machine until SMTP is configured)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from mamoru import mail
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.i18n import fmt_time_jst
from mamoru.web.deps import get_settings, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, admin: User = Depends(require_roles(roles.ADMINISTRATOR))) -> Response:
    settings = get_settings(request)
    messages = []
    for stored in mail.read_outbox(settings.mail_outbox):
        sent = stored.message["Date"]
        messages.append({"name": stored.name, "to": stored.message["To"], "subject": stored.message["Subject"],
                         "at": fmt_time_jst(parsedate_to_datetime(sent)) if sent else "", "body": stored.body})
    return render(request, "pages/outbox.html", {"messages": messages, "backend": settings.mail_backend})
