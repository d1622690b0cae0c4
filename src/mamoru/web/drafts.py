"""A staff form never loses what was typed.

- The page re-rendered after a refusal (a service's problems, status 4xx) gets the sent values back
  in its form (`refused_page`, called by templating.render for every POST).
- A form sent after the session ended (a session cookie that names no live session) is kept as a
  draft (mamoru.auth.drafts), and the user goes to the login page and from there back to the page
  of the form, filled, with a note; they press the button again, with the page's fresh CSRF token.
- A field that does not parse or is over its length (FastAPI's validation, a value the database
  cannot hold) is kept the same way and the page of the form shows it with the problem, in the
  user's language, instead of an error page.

The draft's key is a cookie (HttpOnly, SameSite=Strict), never part of a URL. The public report form
is not served where accounts are (the intake process), so its fields never become a draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from mamoru.auth import drafts
from mamoru.db import Database
from mamoru.i18n import gettext
from mamoru.web import refill

DRAFT_COOKIE = "mamoru_draft"
KEPT = "What you typed was kept: check it and send the form again."
NOT_KEPT = "This field was too long to keep ({n} characters at most): {field}"
SESSION_ENDED = "Your session had ended. Log in again: what you typed is kept, and the form will be filled."
FIELD_MISSING = "{field}: this is needed"
FIELD_TOO_LONG = "{field}: at most {n} characters"
FIELD_NOT_NUMBER = "{field}: give a whole number"
FIELD_INVALID = "{field}: this value is not valid"
OUT_OF_RANGE = "A value is longer or larger than the database can hold: shorten it and send the form again."


def _posted(request: Request) -> list[tuple[str, object]] | None:
    form = getattr(request.state, "posted_form", None)
    return list(form.multi_items()) if form is not None else None


def page_of(request: Request) -> str:
    """The page the form was on: the Referer when it is this site's (the path and query), else the
    path posted to."""
    ref = urlsplit(request.headers.get("referer", ""))
    if ref.netloc and ref.netloc == request.url.netloc and ref.path.startswith("/") and not ref.path.startswith("//"):
        return ref.path + (f"?{ref.query}" if ref.query else "")
    return request.url.path


def _lang(request: Request) -> str:
    from mamoru.web.deps import get_lang

    lang = getattr(request.state, "lang", None)
    return lang if isinstance(lang, str) else get_lang(request)


def validation_problems(request: Request, errors: Sequence[Any]) -> list[str]:
    """FastAPI's validation errors of a form as sentences in the user's language."""
    lang = _lang(request)
    out = []
    for e in errors:
        name = ".".join(str(x) for x in e.get("loc", [])[1:]) or "input"
        kind = str(e.get("type", ""))
        if kind == "missing":
            out.append(gettext(lang, FIELD_MISSING, field=name))
        elif kind == "string_too_long":
            out.append(gettext(lang, FIELD_TOO_LONG, field=name, n=(e.get("ctx") or {}).get("max_length", "?")))
        elif kind.startswith("int_"):
            out.append(gettext(lang, FIELD_NOT_NUMBER, field=name))
        else:
            out.append(gettext(lang, FIELD_INVALID, field=name))
    return out


def _kept_notes(request: Request, draft: drafts.Draft) -> str:
    lang = _lang(request)
    messages = list(draft.problems) + [gettext(lang, NOT_KEPT, n=drafts.FIELD_MAX, field=f) for f in draft.dropped]
    return refill.notes(messages) + refill.notes([gettext(lang, KEPT)], css="notice", role="status")


def refused_page(request: Request, html: str) -> str:
    """A page answering a refused POST, with the sent values back in the form that sent them."""
    items = _posted(request)
    if not items:
        return html
    values, dropped = drafts.text_fields(items)
    lang = _lang(request)
    notes = refill.notes([gettext(lang, NOT_KEPT, n=drafts.FIELD_MAX, field=f) for f in dropped])
    return refill.refill(html, request.url.path, values, notes)


def restored_page(request: Request, html: str) -> tuple[str, bool]:
    """A page shown by GET with a draft cookie: the draft of this page filled in (and taken).
    Returns the page and whether the cookie is to be cleared."""
    key = request.cookies.get(DRAFT_COOKIE)
    viewer = getattr(request.state, "viewer", None)
    session = getattr(request.state, "db_session", None)
    if not key or viewer is None or session is None:
        return html, False
    draft = drafts.take(session, key, viewer.id, request.url.path)
    if draft is None:
        return html, False
    session.commit()  # shown once: taken now, even if the page's own transaction ends otherwise
    return refill.refill(html, draft.action, draft.values, _kept_notes(request, draft)), True


def _keep(request: Request, user_id: int | None, problems: list[str]) -> str | None:
    items = _posted(request)
    if not items or not request.app.state.web_sessions:
        return None
    values, dropped = drafts.text_fields(items)
    if not values and not dropped:
        return None
    draft = drafts.Draft(page=page_of(request), action=request.url.path, values=values, dropped=dropped,
                         problems=problems)
    db: Database = request.app.state.database
    with db.session() as s:
        key = drafts.keep(s, draft, user_id)
        s.commit()
    return key


def _with_cookie(response: Response, request: Request, key: str) -> Response:
    response.set_cookie(DRAFT_COOKIE, key, httponly=True, samesite="strict", max_age=int(drafts.KEEP_FOR.total_seconds()),
                        secure=request.app.state.settings.secure_cookies)
    return response


def session_ended(request: Request) -> Response:
    """The answer to a page's request without a live session: the login page, coming back to the
    page; a form sent then is kept as a draft first."""
    key = _keep(request, None, []) if request.method == "POST" else None
    target = page_of(request) if key else request.url.path
    suffix = "&ended=1" if key else ""
    response = RedirectResponse(f"/login?next={quote(target)}{suffix}", status_code=303)
    return _with_cookie(response, request, key) if key else response


def refused_fields(request: Request, problems: list[str]) -> Response | None:
    """A signed-in user's form whose fields did not parse: kept as a draft with the problems, and
    back to the page of the form. None when there is no such form (an anonymous one, an API call)."""
    viewer = getattr(request.state, "viewer", None)
    if request.method != "POST" or viewer is None:
        return None
    key = _keep(request, viewer.id, problems)
    if key is None:
        return None
    return _with_cookie(RedirectResponse(page_of(request), status_code=303), request, key)
