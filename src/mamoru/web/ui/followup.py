"""Pages of the follow-up: rounds, the coordinator's dashboard, entry forms, versions, spreadsheets."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import DomainError, InvalidInput, PermissionDenied
from mamoru.followup import entries as esvc
from mamoru.followup import rounds as rsvc
from mamoru.followup import spreadsheet, workflow
from mamoru.followup.notify import MailBackend, backend_from_settings
from mamoru.web.deps import get_session, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
STAFF = (roles.COORDINATOR, roles.AGENCY_OFFICER, roles.AUDITOR, roles.ADMINISTRATOR)
CSS = "/static/followup.css"


def mail_backend(request: Request) -> MailBackend:
    return backend_from_settings(request.app.state.settings)


def _agency_filter(user: User) -> str | None:
    return user.agency_code if user.role == roles.AGENCY_OFFICER else None


@router.get("/followup", response_class=HTMLResponse)
def rounds_page(request: Request, session: Session = Depends(get_session),
                user: User = Depends(require_roles(*STAFF))) -> Response:
    rows = [(r, rsvc.state_totals(session, r)) for r in rsvc.rounds(session)]
    return render(request, "pages/followup/rounds.html", {"rows": rows, "label": rsvc.round_label, "problems": [],
                                                          "css": CSS})


@router.post("/followup/rounds", response_class=HTMLResponse)
def round_open(request: Request, fy: str = Form(...), due: str = Form(...), session: Session = Depends(get_session),
               user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    try:
        years = [int(y) for y in fy.replace(",", " ").split()]
        r = rsvc.open_round(session, user, years, date.fromisoformat(due))
    except (DomainError, ValueError) as exc:
        session.rollback()
        problems = exc.problems if isinstance(exc, InvalidInput) else [str(exc)]
        rows = [(x, rsvc.state_totals(session, x)) for x in rsvc.rounds(session)]
        return render(request, "pages/followup/rounds.html", {"rows": rows, "label": rsvc.round_label,
                                                              "problems": problems, "css": CSS}, status_code=422)
    return RedirectResponse(f"/followup/rounds/{r.id}", status_code=303)


@router.get("/followup/rounds/{round_id}", response_class=HTMLResponse)
def round_page(round_id: int, request: Request, session: Session = Depends(get_session),
               user: User = Depends(require_roles(*STAFF))) -> Response:
    r = rsvc.get_round(session, round_id)
    ctx = {"r": r, "label": rsvc.round_label,
           "completion": rsvc.completion(session, r), "overdue": rsvc.overdue_entries(session, r),
           "totals": rsvc.state_totals(session, r), "today": date.today(), "problems": [], "css": CSS,
           "mine": esvc.round_entries(session, r, user.agency_code) if user.role == roles.AGENCY_OFFICER else []}
    return render(request, "pages/followup/round.html", ctx)


@router.get("/followup/rounds/{round_id}/entries", response_class=HTMLResponse)
def entries_page(round_id: int, request: Request, agency: str | None = None, state: str | None = None,
                 session: Session = Depends(get_session), user: User = Depends(require_roles(*STAFF))) -> Response:
    r = rsvc.get_round(session, round_id)
    agency = _agency_filter(user) or agency or None
    rows = esvc.round_entries(session, r, agency, state or None)
    return render(request, "pages/followup/entries.html", {"r": r, "rows": rows, "agency": agency, "state": state,
                                                           "label": rsvc.round_label, "css": CSS})


@router.post("/followup/rounds/{round_id}/publish", response_class=HTMLResponse)
def round_publish(round_id: int, request: Request, session: Session = Depends(get_session),
                  user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    rsvc.publish_round(session, user, rsvc.get_round(session, round_id))
    return RedirectResponse(f"/followup/rounds/{round_id}", status_code=303)


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
    r = rsvc.get_round(session, round_id)
    fmt = "csv" if (file.filename or "").lower().endswith(".csv") else "xlsx"
    try:
        result = spreadsheet.import_rows(session, r, spreadsheet.read(await file.read(), fmt), user)
    except InvalidInput as exc:
        session.rollback()
        return render(request, "pages/followup/import.html", {"r": r, "problems": exc.problems, "result": None,
                                                              "css": CSS}, status_code=422)
    return render(request, "pages/followup/import.html", {"r": r, "problems": [], "result": result, "css": CSS})


def _entry_ctx(session: Session, e: object, user: User, problems: list[object]) -> dict[str, object]:
    entry = e  # RoundEntry
    return {"e": entry, "statuses": [s for s in rsvc.ensure_statuses(session) if s.active], "problems": problems,
            "can_edit": entry.state in workflow.EDITABLE_STATES and entry.round.state == "open"  # type: ignore[attr-defined]
            and (user.role == roles.COORDINATOR or esvc.own_agency(user, entry)),  # type: ignore[arg-type]
            "is_office": user.role == roles.COORDINATOR, "label": rsvc.round_label,
            "figures_text": workflow.format_figures(entry.figures or []),  # type: ignore[attr-defined]
            "evidence_text": workflow.format_evidence(entry.evidence or []), "css": CSS}  # type: ignore[attr-defined]


@router.get("/followup/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(entry_id: int, request: Request, session: Session = Depends(get_session),
               user: User = Depends(require_roles(*STAFF))) -> Response:
    e = esvc.get_entry(session, entry_id)
    if not esvc.can_view(user, e):
        raise PermissionDenied("this entry belongs to another agency")
    return render(request, "pages/followup/entry.html", _entry_ctx(session, e, user, []))


@router.post("/followup/entries/{entry_id}", response_class=HTMLResponse)
def entry_save(entry_id: int, request: Request, action: str = Form("save"), status: str = Form(""),
               narrative_ja: str = Form(""), narrative_en: str = Form(""), figures: str = Form(""),
               evidence: str = Form(""), session: Session = Depends(get_session),
               mail: MailBackend = Depends(mail_backend),
               user: User = Depends(require_roles(roles.COORDINATOR, roles.AGENCY_OFFICER))) -> Response:
    e = esvc.get_entry(session, entry_id)
    try:
        content = workflow.Content(status or None, narrative_en, narrative_ja, workflow.parse_figures(figures),
                                   workflow.parse_evidence(evidence))
        esvc.save_entry(session, e, user, content, mail, submit=(action == "submit"))
    except (InvalidInput, ValueError) as exc:
        session.rollback()
        problems = exc.problems if isinstance(exc, InvalidInput) else [str(exc)]
        ctx = _entry_ctx(session, esvc.get_entry(session, entry_id), user, problems)
        ctx.update(figures_text=figures, evidence_text=evidence)
        return render(request, "pages/followup/entry.html", ctx, status_code=422)
    return RedirectResponse(f"/followup/entries/{entry_id}", status_code=303)


@router.post("/followup/entries/{entry_id}/review", response_class=HTMLResponse)
def entry_review(entry_id: int, request: Request, decision: str = Form(...), comment: str = Form(""),
                 session: Session = Depends(get_session), mail: MailBackend = Depends(mail_backend),
                 user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    e = esvc.get_entry(session, entry_id)
    try:
        if decision == "accept":
            esvc.accept_entry(session, e, user, mail)
        else:
            esvc.return_entry(session, e, user, comment, mail)
    except InvalidInput as exc:
        session.rollback()
        return render(request, "pages/followup/entry.html",
                      _entry_ctx(session, esvc.get_entry(session, entry_id), user, list(exc.problems)), status_code=422)
    return RedirectResponse(f"/followup/entries/{entry_id}", status_code=303)


@router.get("/followup/entries/{entry_id}/diff", response_class=HTMLResponse)
def entry_diff(entry_id: int, request: Request, a: int, b: int, session: Session = Depends(get_session),
               user: User = Depends(require_roles(*STAFF))) -> Response:
    e = esvc.get_entry(session, entry_id)
    if not esvc.can_view(user, e):
        raise PermissionDenied("this entry belongs to another agency")
    return render(request, "pages/followup/diff.html", {"e": e, "a": a, "b": b, "changes": esvc.version_diff(e, a, b),
                                                        "css": CSS})


@router.get("/followup/statuses", response_class=HTMLResponse)
def statuses_page(request: Request, session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*STAFF))) -> Response:
    return render(request, "pages/followup/statuses.html", {"statuses": rsvc.ensure_statuses(session),
                                                            "problems": [], "css": CSS})


@router.post("/followup/statuses", response_class=HTMLResponse)
def statuses_set(request: Request, key: str = Form(...), label_en: str = Form(...), label_ja: str = Form(...),
                 progress: int = Form(...), implemented: str = Form(""), active: str = Form("on"),
                 session: Session = Depends(get_session),
                 user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    try:
        rsvc.set_status(session, user, key.strip(), label_en, label_ja, progress, bool(implemented), bool(active))
    except InvalidInput as exc:
        session.rollback()
        return render(request, "pages/followup/statuses.html", {"statuses": rsvc.ensure_statuses(session),
                                                                "problems": exc.problems, "css": CSS}, status_code=422)
    return RedirectResponse("/followup/statuses", status_code=303)
