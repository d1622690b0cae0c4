"""The public notice ("splash") page for names on the blocking list: GET /blocked.

When MAMORU_BLOCKLIST_SPLASH is set, the RPZ answers a listed name with a CNAME to that host, so a
browser that looks the name up reaches the notice server instead. The page says only that the
address is on the list kept under the Basic Plan and how a site owner appeals; it never says which
address was asked for or why it is listed (the Host header is not echoed), and it is not cached or
indexed. Served by the public `portal` process role; a proxy in front sends every path of the
splash host here (docs/blocklist.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from mamoru.blocklist.settings import BlocklistSettings
from mamoru.web.deps import get_settings
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/blocked", response_class=HTMLResponse)
def blocked_notice(request: Request) -> Response:
    contact = get_settings(request).domain(BlocklistSettings).appeal_contact
    response = render(request, "pages/blocklist/notice.html", {
        "contact": contact, "contact_is_mail": "@" in contact and "://" not in contact,
        "contact_is_web": contact.startswith(("https://", "http://"))})
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
