"""The mail outbox page (/admin/outbox): what mamoru would have sent, for the administrator to read
when MAMORU_MAIL_BACKEND=outbox (the default: nothing leaves the machine until SMTP is configured)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from mamoru import mail, periods
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.web.deps import get_settings, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, admin: User = Depends(require_roles(roles.ADMINISTRATOR))) -> Response:
    settings = get_settings(request)
    messages = []
    for stored in mail.read_outbox(settings.mail_outbox):
        sent = stored.message["Date"]
        at = parsedate_to_datetime(sent).astimezone(periods.JST) if sent else None
        messages.append({"name": stored.name, "to": stored.message["To"], "subject": stored.message["Subject"],
                         "at": at.strftime("%Y-%m-%d %H:%M JST") if at else "", "body": stored.body})
    return render(request, "pages/outbox.html", {"messages": messages, "backend": settings.mail_backend})
