"""JSON API of the follow-up under /api/v1/followup: rounds, entries, their review and spreadsheets."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import PermissionDenied
from mamoru.followup import entries as esvc
from mamoru.followup import rounds as rsvc
from mamoru.followup import spreadsheet, workflow
from mamoru.mail import Mailer
from mamoru.plan import service as plan_svc
from mamoru.web.deps import get_mailer, get_session, require_scope
from mamoru.web.limits import read_upload

router = APIRouter(prefix="/api/v1/followup", tags=["followup"])
STAFF = (roles.COORDINATOR, roles.AGENCY_OFFICER, roles.AUDITOR, roles.ADMINISTRATOR)


def staff_only(user: User) -> User:
    if user.role not in STAFF:
        raise PermissionDenied("this needs a plan-office, agency, auditor or administrator account")
    return user


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    fiscal_years: list[int] = Field(description="Gregorian years in which the fiscal years start (2024 = FY2024).")
    due_on: date = Field(description="Today or later; a past due date is refused (422).")
    plan: str | None = Field(None, description="Plan key (default: the newest plan with measures). A plan with no "
                                               "measures is refused (422): import its measure list first.")


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    due_on: date = Field(description="The new due date: later than the current one, not past.")
    reason: str = Field(description="Why the due date moves; kept and shown on the round's page.")


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    status: str | None = None
    narrative_en: str = ""
    narrative_ja: str = ""
    figures: list[dict[str, str]] = []
    evidence: list[dict[str, str]] = []
    submit: bool = False


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    comment: str = ""


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    label_en: str = Field(description="English label (required).")
    label_ja: str = Field(description="Japanese label (required).")
    progress: int = Field(description="Progress percentage the status stands for, 0 to 100.")
    implemented: bool = Field(False, description="Counts as implemented in the share of measures implemented.")
    active: bool = Field(True, description="Offered to agency officers; a status out of use stays on old entries.")


def _status_out(s: Any) -> dict[str, Any]:
    return {"key": s.key, "label_en": s.label_en, "label_ja": s.label_ja, "progress": s.progress,
            "implemented": s.implemented, "active": s.active, "position": s.position}


def _round_out(session: Session, r: Any) -> dict[str, Any]:
    return {"id": r.id, "fiscal_years": r.fiscal_years, "label_en": rsvc.round_label(r, "en"),
            "label_ja": rsvc.round_label(r, "ja"), "state": r.state, "due_on": r.due_on.isoformat(),
            "totals": rsvc.state_totals(session, r),
            "extensions": [{"due_before": x.due_before.isoformat(), "due_after": x.due_after.isoformat(),
                            "reason": x.reason, "by": x.by, "at": x.at.isoformat()} for x in r.extensions]}


@router.get("/rounds", summary="Reporting rounds")
def list_rounds(session: Session = Depends(get_session), user: User = Depends(require_scope("plan:read"))) -> list[dict[str, Any]]:
    staff_only(user)
    return [_round_out(session, r) for r in rsvc.rounds(session)]


@router.post("/rounds", status_code=201, summary="Open a round (coordinator)")
def open_round(body: RoundIn, session: Session = Depends(get_session),
               user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    if user.role != roles.COORDINATOR:
        raise PermissionDenied("only the plan office opens a round")
    return _round_out(session, rsvc.open_round(session, user, body.fiscal_years, body.due_on,
                                               plan_svc.get_plan(session, body.plan)))


@router.post("/rounds/{round_id}/extend", summary="Extend an open round's due date, with a reason (coordinator)",
             responses={403: {"description": "not the plan office"},
                        409: {"description": "the round is not open"},
                        422: {"description": "not later than the current due date, past, or no reason"}})
def extend(round_id: int, body: ExtensionIn, session: Session = Depends(get_session),
           user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    r = rsvc.get_round(session, round_id)
    rsvc.extend_due_date(session, user, r, body.due_on, body.reason)
    return _round_out(session, r)


@router.get("/rounds/{round_id}/overdue", summary="A round's overdue entries, a page at a time (oldest due first)")
def overdue(round_id: int, page: int = Query(1, ge=1, description="From 1."),
            per_page: int = Query(rsvc.OVERDUE_PAGE, ge=1, le=500), session: Session = Depends(get_session),
            user: User = Depends(require_scope("plan:read"))) -> dict[str, Any]:
    staff_only(user)
    found = rsvc.overdue_entries(session, rsvc.get_round(session, round_id), page=page, per_page=per_page)
    return {"total": found.total, "page": found.page, "per_page": found.per_page, "pages": found.pages,
            "entries": [{"id": e.id, "measure": e.measure.uid, "code": e.measure.code, "agency": e.agency.code,
                         "state": e.state, "due_on": e.due_on.isoformat()} for e in found.entries]}


@router.get("/statuses", summary="The status list entries choose from, each with its progress percentage")
def list_statuses(session: Session = Depends(get_session),
                  user: User = Depends(require_scope("plan:read"))) -> list[dict[str, Any]]:
    staff_only(user)
    return [_status_out(s) for s in rsvc.ensure_statuses(session)]


@router.put("/statuses/{key}", summary="Add or change a status of the list (coordinator)",
            responses={403: {"description": "not the plan office"},
                       422: {"description": "progress outside 0 to 100, an empty label or a bad key"}})
def put_status(key: str, body: StatusIn, session: Session = Depends(get_session),
               user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    return _status_out(rsvc.set_status(session, user, key, body.label_en, body.label_ja, body.progress,
                                       body.implemented, body.active))


@router.get("/rounds/{round_id}", summary="A round with completion by agency and pillar")
def get_round(round_id: int, session: Session = Depends(get_session),
              user: User = Depends(require_scope("plan:read"))) -> dict[str, Any]:
    staff_only(user)
    r = rsvc.get_round(session, round_id)
    comp = rsvc.completion(session, r)
    return {**_round_out(session, r), "completion": {k: [
        {"key": c.key, "total": c.total, "submitted": c.submitted, "accepted": c.done, "overdue": c.overdue,
         "percent": c.percent} for c in v] for k, v in comp.items()}}


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    confirm: bool = Field(False, description="True to publish. Without it nothing is published: the answer is a "
                                             "409 whose message is the summary (accepted N of M, by agency), the "
                                             "same as GET .../publication.")
    fingerprint: str | None = Field(None, description="The `fingerprint` of the summary that was confirmed "
                                    "(GET .../publication). Required with confirm=true: when an entry changed since "
                                    "that summary, nothing is published and the 409 carries the new summary.")


def _summary_out(summary: rsvc.PublicationSummary) -> dict[str, Any]:
    return {"accepted": summary.accepted, "total": summary.total, "fingerprint": summary.fingerprint, "agencies": [
        {"code": a.code, "name_en": a.name_en, "name_ja": a.name_ja, "accepted": a.accepted, "total": a.total}
        for a in summary.agencies]}


@router.get("/rounds/{round_id}/publication", summary="What publishing the round would put on the portal: "
            "accepted entries of all, overall and by agency, with the fingerprint to confirm it")
def publication(round_id: int, session: Session = Depends(get_session),
                user: User = Depends(require_scope("plan:read"))) -> dict[str, Any]:
    staff_only(user)
    return _summary_out(rsvc.publication_summary(session, rsvc.get_round(session, round_id)))


def _refused(message: str, summary: rsvc.PublicationSummary) -> JSONResponse:
    return JSONResponse({"detail": message, "problems": [], "summary": _summary_out(summary)}, status_code=409)


@router.post("/rounds/{round_id}/publish", summary="Publish a round (coordinator), with confirm=true",
             description="Publishes the round and its accepted entries only (drafts, returned and submitted "
                         "entries stay off the portal and the report). The body must say `{\"confirm\": true, "
                         "\"fingerprint\": ...}` with the fingerprint of the summary from GET .../publication; "
                         "without it, or when an entry changed since that summary, the answer is 409 with the "
                         "(new) summary of what would be published under `summary`.",
             responses={409: {"description": "not confirmed or confirmed on a summary that is no longer true "
                                             "(`summary` gives accepted N of M by agency now), already published, "
                                             "or no entry accepted"}})
def publish(round_id: int, body: PublishIn | None = None, session: Session = Depends(get_session),
            user: User = Depends(require_scope("plan:write"))) -> Any:
    if user.role != roles.COORDINATOR:
        raise PermissionDenied("only the plan office publishes a round")
    r = rsvc.get_round(session, round_id)
    summary = rsvc.publication_summary(session, r)
    if body is None or not body.confirm:
        return _refused("not published: send confirm=true with the summary's fingerprint to publish; "
                        + "; ".join(summary.lines()), summary)
    if not body.fingerprint:
        return _refused("not published: send the fingerprint of the summary you confirmed; "
                        + "; ".join(summary.lines()), summary)
    try:
        done = rsvc.publish_round(session, user, r, body.fingerprint)
    except rsvc.StaleSummary as exc:
        return _refused(str(exc), exc.summary)
    return {**_round_out(session, done), "published": _summary_out(summary)}


@router.get("/rounds/{round_id}/entries", summary="A round's entries (an agency officer sees their own)")
def list_entries(round_id: int, agency: str | None = None, state: str | None = None,
                 session: Session = Depends(get_session), user: User = Depends(require_scope("plan:read"))) -> list[dict[str, Any]]:
    staff_only(user)
    if user.role == roles.AGENCY_OFFICER:
        agency = user.agency_code
    return esvc.entry_rows(esvc.round_entries(session, rsvc.get_round(session, round_id), agency, state))


def _entry(session: Session, entry_id: int, user: User) -> Any:
    e = esvc.get_entry(session, entry_id)
    if not esvc.can_view(user, e):
        raise PermissionDenied("this entry belongs to another agency")
    return e


@router.get("/entries/{entry_id}", summary="One entry with its versions")
def get_entry(entry_id: int, session: Session = Depends(get_session),
              user: User = Depends(require_scope("plan:read"))) -> dict[str, Any]:
    e = _entry(session, entry_id, user)
    return {**esvc.entry_rows([e])[0], "versions": [
        {"version": v.version, "action": v.action, "state": v.state, "by": v.by, "at": v.at.isoformat(),
         "comment": v.comment} for v in e.versions]}


@router.put("/entries/{entry_id}", summary="Save an entry (and submit it with submit=true)")
def save_entry(entry_id: int, body: EntryIn, session: Session = Depends(get_session),
               mail: Mailer = Depends(get_mailer), user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    e = _entry(session, entry_id, user)
    content = workflow.Content(body.status, body.narrative_en, body.narrative_ja, body.figures, body.evidence)
    return esvc.entry_rows([esvc.save_entry(session, e, user, content, mail, submit=body.submit)])[0]


@router.post("/entries/{entry_id}/submit", summary="Submit an entry to the plan office")
def submit(entry_id: int, session: Session = Depends(get_session), mail: Mailer = Depends(get_mailer),
           user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    return esvc.entry_rows([esvc.submit_entry(session, _entry(session, entry_id, user), user, mail)])[0]


@router.post("/entries/{entry_id}/return", summary="Return an entry with a comment (coordinator)")
def return_(entry_id: int, body: ReviewIn, session: Session = Depends(get_session),
            mail: Mailer = Depends(get_mailer), user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    return esvc.entry_rows([esvc.return_entry(session, _entry(session, entry_id, user), user, body.comment, mail)])[0]


@router.post("/entries/{entry_id}/accept", summary="Accept an entry (coordinator)")
def accept(entry_id: int, session: Session = Depends(get_session), mail: Mailer = Depends(get_mailer),
           user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    return esvc.entry_rows([esvc.accept_entry(session, _entry(session, entry_id, user), user, mail)])[0]


@router.get("/entries/{entry_id}/diff", summary="Differences between two versions of an entry")
def diff(entry_id: int, a: int, b: int, session: Session = Depends(get_session),
         user: User = Depends(require_scope("plan:read"))) -> list[dict[str, Any]]:
    e = _entry(session, entry_id, user)
    return [c.__dict__ for c in esvc.version_diff(e, a, b)]


@router.get("/rounds/{round_id}/export.{fmt}", summary="Export entries as xlsx or csv")
def export(round_id: int, fmt: str, session: Session = Depends(get_session),
           user: User = Depends(require_scope("plan:read"))) -> Response:
    staff_only(user)
    agency = user.agency_code if user.role == roles.AGENCY_OFFICER else None
    data = spreadsheet.write(spreadsheet.export_rows(session, rsvc.get_round(session, round_id), agency),
                             "csv" if fmt == "csv" else "xlsx")
    return Response(data, media_type="text/csv; charset=utf-8" if fmt == "csv" else
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.post("/rounds/{round_id}/import", summary="Import an edited sheet: all rows or none")
async def import_(round_id: int, file: UploadFile = File(...), session: Session = Depends(get_session),
                  user: User = Depends(require_scope("plan:write"))) -> dict[str, Any]:
    fmt = "csv" if (file.filename or "").lower().endswith(".csv") else "xlsx"
    data = await read_upload(file)
    # parsed and stored in a worker thread: a hostile workbook never holds the event loop (mamoru.xlsx limits)
    rows = await run_in_threadpool(spreadsheet.read, data, fmt)
    return spreadsheet.summary(await run_in_threadpool(
        lambda: spreadsheet.import_rows(session, rsvc.get_round(session, round_id), rows, user)))
