"""JSON API of the measure-list import: preview what a CSV or XLSX file would add, change and refuse,
then import it (the same code as the page and `mamoru plan import`). Coordinator; office role only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import PermissionDenied
from mamoru.plan import service as svc
from mamoru.plan.import_preview import ImportPreview, PreviewMeasure, confirm_import, preview_import
from mamoru.plan.io import read_rows
from mamoru.web.deps import get_session, require_scope
from mamoru.web.limits import read_upload
from mamoru.web.plan.ui_import import DEFAULT_REASON, upload_format

router = APIRouter(prefix="/api/v1", tags=["plan"])


def _measure(m: PreviewMeasure) -> dict[str, Any]:
    return {"id": m.uid, "code": m.code, "title_en": m.title_en, "title_ja": m.title_ja, "changes": list(m.changes),
            "lineage": m.lineage or None, "predecessors": list(m.predecessors)}


def preview_out(p: ImportPreview) -> dict[str, Any]:
    return {"plan": p.plan_key, "rows": p.rows, "digest": p.digest(), "importable": p.importable,
            "added": [_measure(m) for m in p.added], "changed": [_measure(m) for m in p.changed],
            "unchanged": p.unchanged, "refused": [{"row": x.row, "field": x.field, "reason": x.reason}
                                                  for x in p.refused]}


@router.post("/plans/{key}/import", summary="Import a plan's full measure list from CSV or XLSX (coordinator)",
             description="With `dry_run=true` nothing is imported: the answer says which measures the file would "
                         "add and change (with their lineage to the previous plan's measures) and which rows it "
                         "refuses, and gives a `digest`. Send the file again with `expect` set to that digest to "
                         "import exactly what the preview showed (409 if the plan changed since). A file with "
                         "a refused row is imported not at all (422 with every problem).",
             responses={403: {"description": "not the plan office"}, 409: {"description": "changed since the preview"},
                        413: {"description": "file too large"}, 422: {"description": "refused rows or file"}})
async def import_measures(key: str, file: UploadFile = File(...), reason: str = Form(DEFAULT_REASON),
                          expect: str | None = Form(None, description="The digest of the preview to import."),
                          dry_run: bool = Query(False, description="Only say what the import would do."),
                          session: Session = Depends(get_session),
                          user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    if not roles.can_edit_plan_text(user.role):
        raise PermissionDenied("only the plan office (coordinator) imports measures")
    fmt = upload_format(file.filename)
    data = await read_upload(file)
    # parsed, previewed and stored in a worker thread: neither a hostile workbook (mamoru.xlsx limits)
    # nor the database holds the event loop
    return await run_in_threadpool(_import_measures, key, data, fmt, reason or DEFAULT_REASON, expect, dry_run,
                                   session, user)


def _import_measures(key: str, data: bytes, fmt: str, reason: str, expect: str | None, dry_run: bool,
                     session: Session, user: User) -> dict[str, Any]:
    plan = svc.get_plan(session, key)
    rows = read_rows(data, fmt)
    preview = preview_import(session, plan, rows, user, reason)
    if dry_run:
        return preview_out(preview)
    result = confirm_import(session, plan, rows, user, reason, expect or preview.digest())
    return {**preview_out(preview), "imported": {"created": result.created, "amended": result.amended,
                                                 "reassigned": result.reassigned, "successions": result.successions,
                                                 "unchanged": result.unchanged}}
