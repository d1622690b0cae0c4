"""Jinja2 templates with the language, translation function, current user and CSRF token."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from mamoru.auth.roles import ROLE_LABELS
from mamoru.errors import Problem
from mamoru.hotline import vocabulary
from mamoru.i18n import (
    era_year,
    error_messages,
    fiscal_year_label,
    fmt_date,
    fmt_time_jst,
    gettext,
    join_list,
    lang_of,
    ngettext,
    pick,
    problem_text,
)
from mamoru.web import deps, drafts
from mamoru.web.forms import Refusal

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR)


def _lang(request: Request) -> str:
    lang = getattr(request.state, "lang", None)
    if lang is None:
        lang = deps.get_lang(request)
        request.state.lang = lang
    return lang


def _parse_time(value: object) -> datetime | None:
    """A moment stored as ISO text (in a JSON detail), for fmt_time; None for anything else."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def problem_line(lang: str, problem: object) -> str:
    """One line of a form's refusal in the reader's language: a refused value with its field, a
    service's refusal (mamoru.web.forms.Refusal), or a message id."""
    if isinstance(problem, Problem):
        return problem_text(lang, problem)
    if isinstance(problem, Refusal):
        return error_messages(lang, problem.error)[0]
    return gettext(lang, str(problem))


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    lang = _lang(request)
    user = getattr(request.state, "viewer", None)
    ctx: dict[str, Any] = {
        "lang": lang,
        "other_lang": "en" if lang == "ja" else "ja",
        "_": lambda msgid, **kw: gettext(lang, msgid, **kw),
        "_n": lambda singular, plural, count, **kw: ngettext(lang, singular, plural, count, **kw),
        "pick": lambda obj, field: pick(obj, field, lang),
        "join_names": lambda objs, field="name": join_list(lang, (pick(o, field, lang) for o in objs)),
        "fmt_date": lambda d, precision="day": fmt_date(d, lang, precision),
        "fmt_time": fmt_time_jst,
        "problem_line": lambda problem: problem_line(lang, problem),
        "parse_time": _parse_time,
        "hotline_terms": vocabulary.terms,
        "hotline_reason": lambda table, code, params, stored: vocabulary.reason_text(table, code, params, stored, lang),
        "fy": lambda year: fiscal_year_label(year, lang),
        "era_year": era_year,
        "lang_of": lang_of,
        "role_label": lambda role: ROLE_LABELS.get(role, (role, role))[0 if lang == "en" else 1],
        "user": user,
        "csrf_token": deps.csrf_token_for(request),
        # links to the other listener (MAMORU_PUBLIC_URL, MAMORU_STAFF_URL; empty: this one)
        "public_href": lambda href: request.app.state.settings.public_url + href,
        "staff_href": lambda href: request.app.state.settings.staff_url + href,
        "staff_elsewhere": bool(request.app.state.settings.staff_url),
        "path": request.url.path,
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    # A form never loses its input (web.drafts): a refused POST's page gets the values sent back,
    # a page opened after a login gets the draft kept for it.
    clear = False
    if request.method == "POST" and status_code >= 400:
        html = drafts.refused_page(request, bytes(response.body).decode())
    elif request.method == "GET" and request.cookies.get(drafts.DRAFT_COOKIE):
        html, clear = drafts.restored_page(request, bytes(response.body).decode())
    else:
        return response
    filled = HTMLResponse(html, status_code=status_code)
    if clear:
        filled.delete_cookie(drafts.DRAFT_COOKIE)
    return filled
