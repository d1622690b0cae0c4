"""Pages of the follow-up's reporting rounds: the list, opening a round, the coordinator's dashboard,
entry lists, publication, spreadsheets and the report. Shared page helpers of the follow-up live here."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, Problem
from mamoru.followup import entries as esvc
from mamoru.followup import rounds as rsvc
from mamoru.followup import spreadsheet
from mamoru.followup.models import ReportingRound
from mamoru.followup.report import FORMATS
from mamoru.followup.report import render as render_report
from mamoru.plan import service as plan_svc
from mamoru.web import forms
from mamoru.web.deps import get_session, live_providers, require_roles
from mamoru.web.limits import read_upload
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
STAFF = (roles.COORDINATOR, roles.AGENCY_OFFICER, roles.AUDITOR, roles.ADMINISTRATOR)
CSS = "/static/followup.css"
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _agency_filter(user: User) -> str | None:
    return user.agency_code if user.role == roles.AGENCY_OFFICER else None


def _rounds_page(request: Request, session: Session, problems: forms.Problems | None = None,
                 typed: dict[str, str] | None = None, status: int = 200) -> Response:
    rows = [(r, rsvc.state_totals(session, r)) for r in rsvc.rounds(session)]
    counts = plan_svc.measure_counts(session)
    return render(request, "pages/followup/rounds.html", {
        "rows": rows, "label": rsvc.round_label, "problems": problems or [], "typed": typed or {}, "css": CSS,
        "plans": [(p, counts.get(p.id, 0)) for p in plan_svc.plans(session)],
        "default_plan": plan_svc.default_plan(session).key if counts else ""}, status_code=status)


@router.get("/followup", response_class=HTMLResponse)
def rounds_page(request: Request, session: Session = Depends(get_session),
                user: User = Depends(require_roles(*STAFF))) -> Response:
    return _rounds_page(request, session)


@router.post("/followup/rounds", response_class=HTMLResponse)
def round_open(request: Request, fy: str = Form(...), due: str = Form(...), plan: str = Form(""),
               session: Session = Depends(get_session),
               user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def again(problems: forms.Problems, status: int) -> Response:
        return _rounds_page(request, session, problems, {"fy": fy, "due": due, "plan": plan}, status)

    def open_() -> ReportingRound:
        try:
            due_on = date.fromisoformat(due)
        except ValueError:
            raise InvalidInput([Problem(None, "due", "an ISO 8601 date (YYYY-MM-DD)")]) from None
        try:
            years = [int(y) for y in fy.replace(",", " ").split()]
        except ValueError:
            raise InvalidInput([Problem(None, "fy", "fiscal years as Gregorian years, e.g. 2024 2025")]) from None
        return rsvc.open_round(session, user, years, due_on, plan_svc.get_plan(session, plan or None))

    return forms.submit(session, open_, done=lambda r: f"/followup/rounds/{r.id}", again=again)


def _round_page(request: Request, session: Session, user: User, round_id: int, page: int = 1,
                problems: forms.Problems | None = None, typed: dict[str, str] | None = None,
                status: int = 200) -> Response:
    r = rsvc.get_round(session, round_id)
    ctx = {"r": r, "label": rsvc.round_label,
           "completion": rsvc.completion(session, r), "overdue": rsvc.overdue_entries(session, r, page=page, per_page=rsvc.OVERDUE_PAGE),
           "totals": rsvc.state_totals(session, r), "today": date.today(), "problems": list(problems or []),
           "typed": typed or {}, "css": CSS,
           # after the publish form's redirect (said only when the round is published indeed)
           "just_published": request.query_params.get("done") == "published" and r.published,
           "mine": esvc.round_entries(session, r, user.agency_code) if user.role == roles.AGENCY_OFFICER else []}
    return render(request, "pages/followup/round.html", ctx, status_code=status)


@router.get("/followup/rounds/{round_id}", response_class=HTMLResponse)
def round_page(round_id: int, request: Request, page: int = 1, session: Session = Depends(get_session),
               user: User = Depends(require_roles(*STAFF))) -> Response:
    return _round_page(request, session, user, round_id, page)


@router.post("/followup/rounds/{round_id}/extend", response_class=HTMLResponse)
def round_extend(round_id: int, request: Request, due: str = Form(""), reason: str = Form(""),
                 session: Session = Depends(get_session),
                 user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def extend() -> object:
        try:
            due_on = date.fromisoformat(due)
        except ValueError:
            raise InvalidInput([Problem(None, "due", "an ISO 8601 date (YYYY-MM-DD)")]) from None
        return rsvc.extend_due_date(session, user, rsvc.get_round(session, round_id), due_on, reason)

    return forms.submit(session, extend, done=f"/followup/rounds/{round_id}#extensions",
                        again=lambda problems, status: _round_page(request, session, user, round_id, 1, problems,
                                                                   {"due": due, "reason": reason}, status))


@router.get("/followup/rounds/{round_id}/entries", response_class=HTMLResponse)
def entries_page(round_id: int, request: Request, agency: str | None = None, state: str | None = None,
                 session: Session = Depends(get_session), user: User = Depends(require_roles(*STAFF))) -> Response:
    r = rsvc.get_round(session, round_id)
    agency = _agency_filter(user) or agency or None
    rows = esvc.round_entries(session, r, agency, state or None)
    return render(request, "pages/followup/entries.html", {"r": r, "rows": rows, "agency": agency, "state": state,
                                                           "label": rsvc.round_label, "css": CSS})


@router.get("/followup/rounds/{round_id}/publish", response_class=HTMLResponse)
def round_publish_confirm(round_id: int, request: Request, session: Session = Depends(get_session),
                          user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    return _confirm_page(request, session, rsvc.get_round(session, round_id))


def _confirm_page(request: Request, session: Session, r: ReportingRound, status_code: int = 200,
                  stale: bool = False) -> Response:
    """What publishing would put on the portal (accepted N of M, by agency), and the button that does it;
    `stale`: the entries changed since the summary the person confirmed, shown anew."""
    return render(request, "pages/followup/publish.html", {"r": r, "summary": rsvc.publication_summary(session, r),
                                                           "coverage": rsvc.round_coverage(session, r),
                                                           "label": rsvc.round_label, "css": CSS, "stale": stale},
                  status_code=status_code)


@router.post("/followup/rounds/{round_id}/publish", response_class=HTMLResponse)
def round_publish(round_id: int, request: Request, confirm: str = Form(""), fingerprint: str = Form(""),
                  session: Session = Depends(get_session),
                  user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    r = rsvc.get_round(session, round_id)
    if confirm != "yes":  # not confirmed on the summary page: show it instead of publishing
        return _confirm_page(request, session, r, status_code=409)
    try:
        rsvc.publish_round(session, user, r, fingerprint)
    except rsvc.StaleSummary:
        session.rollback()
        return _confirm_page(request, session, r, status_code=409, stale=True)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/rounds/{round_id}?done=published", status_code=303)


@router.get("/followup/rounds/{round_id}/export.{fmt}")
def round_export(round_id: int, fmt: str, session: Session = Depends(get_session),
                 user: User = Depends(require_roles(*STAFF))) -> Response:
    if fmt not in spreadsheet.FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}")
    r = rsvc.get_round(session, round_id)
    data = spreadsheet.write(spreadsheet.export_rows(session, r, _agency_filter(user)), fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="round-{round_id}.{fmt}"'})


@router.post("/followup/rounds/{round_id}/import", response_class=HTMLResponse)
async def round_import(round_id: int, request: Request, file: UploadFile = File(...),
                       session: Session = Depends(get_session),
                       user: User = Depends(require_roles(roles.COORDINATOR, roles.AGENCY_OFFICER))) -> Response:
    fmt = "csv" if (file.filename or "").lower().endswith(".csv") else "xlsx"
    try:
        data: bytes | InvalidInput = await read_upload(file)
    except InvalidInput as exc:
        data = exc
    # read, parsed, stored and answered in a worker thread: neither a hostile workbook nor the database
    # holds the event loop (mamoru.xlsx limits)
    return await run_in_threadpool(_round_import, round_id, request, data, fmt, session, user)


def _round_import(round_id: int, request: Request, data: bytes | InvalidInput, fmt: str, session: Session,
                  user: User) -> Response:
    r = rsvc.get_round(session, round_id)
    try:
        if isinstance(data, InvalidInput):
            raise data
        result = spreadsheet.import_rows(session, r, spreadsheet.read(data, fmt), user)
    except InvalidInput as exc:
        session.rollback()
        return render(request, "pages/followup/import.html", {"r": r, "problems": exc.problems, "result": None,
                                                              "css": CSS}, status_code=422)
    return render(request, "pages/followup/import.html", {"r": r, "problems": [], "result": result, "css": CSS})


@router.get("/followup/rounds/{round_id}/report")
def round_report(round_id: int, request: Request, lang: str = "ja", format: str = "html",
                 session: Session = Depends(get_session), user: User = Depends(require_roles(*STAFF))) -> Response:
    if format not in FORMATS or lang not in ("ja", "en"):
        raise InvalidInput("format html, pdf or md; lang ja or en")
    data = render_report(session, rsvc.get_round(session, round_id), lang, format, live=live_providers(request))
    media = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "md": "text/markdown; charset=utf-8"}[format]
    headers = {"Content-Security-Policy": REPORT_CSP}
    if format != "html":
        headers["Content-Disposition"] = f'attachment; filename="followup-round-{round_id}-{lang}.{format}"'
    return Response(data, media_type=media, headers=headers)

