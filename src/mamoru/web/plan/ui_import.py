"""The plan office's import of a plan's full measure list from the web: upload a CSV or XLSX file, see
what it would add, change and refuse (with each measure's lineage to the previous plan), then
confirm. The same import as `mamoru plan import` (mamoru.plan.io, mamoru.plan.import_preview); the
file is read in a worker thread with the spreadsheet limits of mamoru.xlsx, as round imports are.
Staff listener only (the office role)."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import DomainError, InvalidInput, Problem
from mamoru.plan import service as svc
from mamoru.plan.import_preview import ImportPreview, confirm_import, preview_import
from mamoru.plan.io import read_rows
from mamoru.plan.models import Plan
from mamoru.web.deps import get_session, require_roles
from mamoru.web.forms import problems_of
from mamoru.web.limits import read_upload
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
UPLOAD_FORMATS = ("csv", "xlsx")
DEFAULT_REASON = "import of the full measure list"


def upload_format(filename: str | None) -> str:
    """csv or xlsx from the file's name; anything else is refused before it is read."""
    ext = (filename or "").lower().rsplit(".", 1)[-1]
    if ext not in UPLOAD_FORMATS:
        raise InvalidInput([Problem(None, "file", "a CSV or XLSX file (.csv, .xlsx)")])
    return ext


def _page(request: Request, session: Session, plan: Plan, preview: ImportPreview | None = None,
          problems: list[Problem] | list[str] | None = None, sent: dict[str, str] | None = None,
          status: int = 200) -> Response:
    return render(request, "pages/plan_import.html", {
        "plan": plan, "preview": preview, "problems": problems or [], "sent": sent or {},
        "reason": (sent or {}).get("reason", ""), "plans": svc.plans(session)}, status_code=status)


@router.get("/plans/{key}/import", response_class=HTMLResponse)
def import_page(key: str, request: Request, session: Session = Depends(get_session),
                user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    return _page(request, session, svc.get_plan(session, key))


@router.post("/plans/{key}/import", response_class=HTMLResponse)
async def import_preview(key: str, request: Request, file: UploadFile = File(...), reason: str = Form(""),
                         session: Session = Depends(get_session),
                         user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    reason = reason.strip() or DEFAULT_REASON
    fmt = ""
    try:
        fmt = upload_format(file.filename)
        data: bytes | DomainError = await read_upload(file)
    except DomainError as exc:
        data = exc
    # parsed, previewed and answered in a worker thread: neither a hostile workbook (mamoru.xlsx limits)
    # nor the database holds the event loop
    return await run_in_threadpool(_preview, key, request, data, fmt, file.filename or "", reason, session, user)


def _preview(key: str, request: Request, data: bytes | DomainError, fmt: str, filename: str, reason: str,
             session: Session, user: User) -> Response:
    plan = svc.get_plan(session, key)
    try:
        if isinstance(data, DomainError):
            raise data
        rows = read_rows(data, fmt)
    except DomainError as exc:
        return _page(request, session, plan, problems=problems_of(exc), sent={"reason": reason}, status=exc.status)
    preview = preview_import(session, plan, rows, user, reason)
    sent = {"data": base64.b64encode(data).decode("ascii"), "fmt": fmt, "reason": reason,
            "digest": preview.digest(), "filename": filename}
    return _page(request, session, plan, preview, sent=sent, status=200 if not preview.refused else 422)


@router.post("/plans/{key}/import/confirm", response_class=HTMLResponse)
def import_confirm(key: str, request: Request, data: str = Form(...), fmt: str = Form(...),
                   digest: str = Form(...), reason: str = Form(DEFAULT_REASON),
                   session: Session = Depends(get_session),
                   user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    """A plain function (FastAPI runs it in a worker thread): parsing and the database never hold the loop."""
    plan = svc.get_plan(session, key)
    try:
        raw = base64.b64decode(data, validate=True)
        rows = read_rows(raw, upload_format(f"file.{fmt}"))
        confirm_import(session, plan, rows, user, reason, digest)
    except binascii.Error:
        session.rollback()
        return _page(request, session, plan, problems=["the file was not sent back whole: upload it again"],
                     status=422)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, plan, problems=problems_of(exc), status=exc.status)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/plans/{plan.key}?imported=1", status_code=303)
