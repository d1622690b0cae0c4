"""Pages of hash matching for hotline staff: the banks, their sizes, matches per platform, and the
forms that change them (create a bank, import a hash file, disable or enable an entry, choose a
platform's banks) and export a bank.

Each form is one call of `mamoru.matching.service`, as `mamoru bank` and /api/v1/banks make it.
A refused form shows the page again with the reasons in the reader's language (an import's bad
lines by number) and the refusal's status; a done one redirects back to the page, which says what was done, so reloading
never imports a file twice.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mamoru import audit
from mamoru.auth import service as auth_service
from mamoru.auth.models import User
from mamoru.errors import DomainError, InvalidInput, NotFound, Problem
from mamoru.i18n import error_messages, field_label, reason_text
from mamoru.matching import runtime, service
from mamoru.matching.banks import FORMATS
from mamoru.matching.models import SIGNALS, SOURCES
from mamoru.matching.schemas import EXPORT_MEDIA_TYPES
from mamoru.web.deps import get_lang, get_session, require_roles
from mamoru.web.limits import read_upload
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
READERS = require_roles(*sorted(service.BANK_READERS))
EDITORS = require_roles(*sorted(service.BANK_EDITORS))
CHOOSERS = require_roles(*sorted(service.PLATFORM_CHOOSERS))
NOTICES = ("created", "imported", "disabled", "enabled", "chosen")


def _page(request: Request, session: Session, user: User, form: str | None = None,
          problems: list[Problem] | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> Response:
    q = request.query_params
    done = q.get("done") if q.get("done") in NOTICES else None
    return render(request, "pages/matching/banks.html", {
        "banks": service.list_banks(session), "version": service.current_version(session),
        "snapshot": runtime.latest_snapshot(session), "counts": service.match_counts(session),
        "platforms": service.platform_choices(session),
        "can_edit": user.role in service.BANK_EDITORS, "can_choose": user.role in service.PLATFORM_CHOOSERS,
        "formats": FORMATS, "signals": SIGNALS, "sources": SOURCES,
        "done": done, "done_bank": q.get("bank", ""), "done_n": q.get("n", ""), "done_already": q.get("already", ""), "done_entry": q.get("entry", ""),
        "done_platform": q.get("platform", ""),
        "form": form, "problems": problems or [], "values": values or {}}, status_code=status)


def _act(request: Request, session: Session, user: User, form: str, values: dict[str, str],
         action: Callable[[], dict[str, str]]) -> Response:
    """Run one service call: refused, the page again with the reasons; done, back to the page."""
    try:
        notice = action()
    except DomainError as exc:
        session.rollback()
        lang = get_lang(request)
        problems = ([Problem(p.row, field_label(lang, p.field), reason_text(lang, p)) for p in exc.problems]
                    if isinstance(exc, InvalidInput) else [Problem(None, form, error_messages(lang, exc)[0])])
        return _page(request, session, user, form, problems, values, status=exc.status)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/matching?{urlencode(notice)}#{form}", status_code=303)


@router.get("/matching", response_class=HTMLResponse)
def banks_page(request: Request, session: Session = Depends(get_session),
               user: User = Depends(READERS)) -> Response:
    return _page(request, session, user)


@router.post("/matching/banks", response_class=HTMLResponse)
def create_submit(request: Request, name: str = Form(""), description: str = Form(""),
                  owner_organisation: str = Form(""), source: str = Form("own_hotline"),
                  session: Session = Depends(get_session), user: User = Depends(EDITORS)) -> Response:
    def run() -> dict[str, str]:
        bank = service.create_bank(session, name, user, description, owner_organisation, source)
        return {"done": "created", "bank": bank.name}

    values = {"name": name, "description": description, "owner_organisation": owner_organisation,
              "source": source}
    return _act(request, session, user, "create", values, run)


@router.post("/matching/import", response_class=HTMLResponse)
async def import_submit(request: Request, bank: str = Form(""), fmt: str = Form("lines", alias="format"),
                        signal: str = Form("pdq"), file: UploadFile = File(...),
                        session: Session = Depends(get_session), user: User = Depends(EDITORS)) -> Response:
    data = await read_upload(file)

    def run() -> dict[str, str]:
        result = service.import_file(session, bank, data, fmt, signal, user)
        return {"done": "imported", "bank": bank, "n": str(result.imported), "already": str(result.already)}

    # in a worker thread, as the API's import: never on the event loop, which serves everyone else
    return await run_in_threadpool(_act, request, session, user, "import",
                                   {"bank": bank, "format": fmt, "signal": signal}, run)


@router.post("/matching/entries", response_class=HTMLResponse)
def entry_submit(request: Request, entry_id: str = Form(""), action: str = Form("disable"),
                 reason: str = Form(""), session: Session = Depends(get_session),
                 user: User = Depends(EDITORS)) -> Response:
    def run() -> dict[str, str]:
        if not entry_id.strip().isdigit() or len(entry_id.strip()) > 9:
            raise InvalidInput([Problem(None, "entry_id", "give the entry's number")])
        if action not in ("disable", "enable"):
            raise InvalidInput([Problem(None, "action", "disable or enable")])
        service.set_entry_disabled(session, int(entry_id), action == "disable", user, reason)
        return {"done": f"{action}d", "entry": entry_id.strip()}

    return _act(request, session, user, "entry", {"entry_id": entry_id, "reason": reason}, run)


@router.post("/matching/platforms", response_class=HTMLResponse)
async def choose_submit(request: Request, platform: str = Form(""), show_labels: str = Form(""),
                        session: Session = Depends(get_session), user: User = Depends(CHOOSERS)) -> Response:
    banks = [str(b) for b in (await request.form()).getlist("banks")]

    def run() -> dict[str, str]:
        account = auth_service.get_user(session, platform)
        if account is None:
            raise NotFound("no user {username!r}", username=platform)
        service.choose_banks(session, account, banks, bool(show_labels), user)
        return {"done": "chosen", "platform": platform}

    return await run_in_threadpool(_act, request, session, user, "platform", {"platform": platform}, run)


@router.get("/matching/export")
def export_download(bank: str, format: str = "csv", session: Session = Depends(get_session),
                    user: User = Depends(READERS)) -> Response:
    if format not in EXPORT_MEDIA_TYPES:
        raise InvalidInput([Problem(None, "format", "lines, csv, te or vic")])
    b = service.get_bank(session, bank)
    text = service.export_bank(session, bank, format)
    audit.record_read(session, user, "match:bank:export", f"hash_bank:{bank}", {"format": format})
    extension = {"lines": "txt", "te": "txt", "vic": "json"}.get(format, format)
    return Response(text, media_type=EXPORT_MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="bank-{b.id}.{extension}"'})
