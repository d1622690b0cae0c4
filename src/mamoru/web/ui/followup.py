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
    session.commit()  # before the redirect: the next GET must see it
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
    session.commit()  # before the redirect: the next GET must see it
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
    session.commit()  # before the redirect: the next GET must see it
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
    session.commit()  # before the redirect: the next GET must see it
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
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse("/followup/statuses", status_code=303)


# --- report, indicators, prefectures, meetings, alignment, help services -------------------------

REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


@router.get("/followup/rounds/{round_id}/report")
def round_report(round_id: int, request: Request, lang: str = "ja", format: str = "html",
                 session: Session = Depends(get_session), user: User = Depends(require_roles(*STAFF))) -> Response:
    from mamoru.followup.report import FORMATS
    from mamoru.followup.report import render as render_report

    if format not in FORMATS or lang not in ("ja", "en"):
        raise InvalidInput("format html, pdf or md; lang ja or en")
    data = render_report(session, rsvc.get_round(session, round_id), lang, format)
    media = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "md": "text/markdown; charset=utf-8"}[format]
    headers = {"Content-Security-Policy": REPORT_CSP}
    if format != "html":
        headers["Content-Disposition"] = f'attachment; filename="followup-round-{round_id}-{lang}.{format}"'
    return Response(data, media_type=media, headers=headers)


@router.get("/followup/indicators", response_class=HTMLResponse)
def indicators_page(request: Request, session: Session = Depends(get_session),
                    user: User = Depends(require_roles(*STAFF))) -> Response:
    from mamoru.followup import indicators as isvc

    rows = [(i, isvc.series(session, i)) for i in isvc.indicators(session)]
    return render(request, "pages/followup/indicators.html", {"rows": rows, "problems": [], "css": CSS})


@router.post("/followup/indicators/values", response_class=HTMLResponse)
def indicator_value(request: Request, code: str = Form(...), period: str = Form(...), value: float = Form(...),
                    status: str = Form("final"), source: str = Form(""), published_on: str = Form(""),
                    category: str = Form(""), session: Session = Depends(get_session),
                    user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    from mamoru.followup import indicators as isvc

    try:
        day = date.fromisoformat(published_on) if published_on else None
        isvc.add_value(session, user, isvc.get_indicator(session, code), period, value, status, source, day, category)
    except (InvalidInput, ValueError) as exc:
        session.rollback()
        rows = [(i, isvc.series(session, i)) for i in isvc.indicators(session)]
        problems = exc.problems if isinstance(exc, InvalidInput) else [str(exc)]
        return render(request, "pages/followup/indicators.html", {"rows": rows, "problems": problems, "css": CSS},
                      status_code=422)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/indicators#ind-{code}", status_code=303)


@router.get("/followup/prefectures", response_class=HTMLResponse)
def prefectures_page(request: Request, measure: str | None = None, session: Session = Depends(get_session),
                     user: User = Depends(require_roles(*STAFF))) -> Response:
    from mamoru.followup import prefectures as psvc
    from mamoru.plan import service as plan_svc

    plan = plan_svc.default_plan(session)
    all_measures = [m for p in plan_svc.plan_pillars(session, plan) for m in p.measures]
    chosen = plan_svc.get_measure(session, measure) if measure else None
    rows = psvc.table(session, chosen) if chosen else []
    lang = request.state.lang if hasattr(request.state, "lang") else "ja"
    svg = psvc.svg_map(rows, lang, chosen.code) if chosen else ""
    return render(request, "pages/followup/prefectures.html", {
        "measures": all_measures, "chosen": chosen, "rows": rows, "svg": svg, "statuses": psvc.STATUSES,
        "with_status": psvc.measures_with_status(session), "counts": psvc.counts(rows) if rows else {}, "css": CSS})


@router.post("/followup/prefectures", response_class=HTMLResponse)
def prefecture_set(request: Request, measure: str = Form(...), prefecture: str = Form(...), status: str = Form(...),
                   since: str = Form(""), note: str = Form(""), session: Session = Depends(get_session),
                   user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    from mamoru.followup import prefectures as psvc
    from mamoru.plan import service as plan_svc

    psvc.set_status(session, user, plan_svc.get_measure(session, measure), prefecture, status,
                    date.fromisoformat(since) if since else None, note)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/prefectures?measure={measure}", status_code=303)


@router.get("/followup/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*STAFF))) -> Response:
    from mamoru.followup import meetings as msvc
    from mamoru.followup.models import DECISION_KINDS

    return render(request, "pages/followup/meetings.html", {
        "bodies": msvc.bodies(session), "meetings": msvc.meetings(session), "kinds": DECISION_KINDS, "css": CSS})


@router.post("/followup/meetings", response_class=HTMLResponse)
def meeting_record(request: Request, held_on: str = Form(...), number: str = Form(""), title_en: str = Form(""),
                   title_ja: str = Form(""), bodies: str = Form(...), agenda: str = Form(""),
                   attendees: str = Form(""), materials: str = Form(""), session: Session = Depends(get_session),
                   user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    from mamoru.followup import meetings as msvc

    m = msvc.record_meeting(
        session, user, date.fromisoformat(held_on), title_en, title_ja, bodies.replace(",", " ").split(),
        int(number) if number.strip() else None,
        attendees=[{"name": line.strip()} for line in attendees.splitlines() if line.strip()],
        agenda=[{"ja": line.strip(), "en": ""} for line in agenda.splitlines() if line.strip()],
        materials=[{"url": u, "title": t.strip()} for u, _, t in
                   (line.strip().partition(" ") for line in materials.splitlines() if line.strip())])
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/meetings#meeting-{m.id}", status_code=303)


@router.post("/followup/meetings/{meeting_id}/decisions", response_class=HTMLResponse)
def meeting_decision(meeting_id: int, request: Request, kind: str = Form(...), text_en: str = Form(""),
                     text_ja: str = Form(""), round_id: str = Form(""), session: Session = Depends(get_session),
                     user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    from mamoru.followup import meetings as msvc

    msvc.add_decision(session, user, msvc.get_meeting(session, meeting_id), kind, text_en, text_ja,
                      int(round_id) if round_id.strip() else None)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/meetings#meeting-{meeting_id}", status_code=303)


@router.post("/followup/meetings/{meeting_id}/actions", response_class=HTMLResponse)
def meeting_action(meeting_id: int, request: Request, text_ja: str = Form(""), text_en: str = Form(""),
                   measure: str = Form(""), owner: str = Form(""), due_on: str = Form(""),
                   session: Session = Depends(get_session),
                   user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    from mamoru.followup import meetings as msvc

    msvc.add_action(session, user, msvc.get_meeting(session, meeting_id), text_en, text_ja, measure or None,
                    owner or None, date.fromisoformat(due_on) if due_on else None)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(f"/followup/meetings#meeting-{meeting_id}", status_code=303)


@router.get("/followup/alignment", response_class=HTMLResponse)
def alignment_page(request: Request, session: Session = Depends(get_session),
                   user: User = Depends(require_roles(*STAFF))) -> Response:
    from mamoru.followup import alignment as asvc

    cov = asvc.coverage(session)
    return render(request, "pages/followup/alignment.html", {
        "coverage": cov, "gaps": [c for c in cov if not c.measures], "phases": asvc.PHASES, "css": CSS,
        "today": date.today()})


@router.post("/followup/alignment", response_class=HTMLResponse)
def alignment_set(request: Request, action: str = Form(...), capability: int = Form(...), measure: str = Form(""),
                  phase: int = Form(0), assessed_on: str = Form(""), note: str = Form(""),
                  session: Session = Depends(get_session),
                  user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    from mamoru.followup import alignment as asvc
    from mamoru.plan import service as plan_svc

    if action == "assess":
        asvc.assess(session, user, capability, phase, date.fromisoformat(assessed_on) if assessed_on else date.today(), note)
    else:
        asvc.map_measure(session, user, plan_svc.get_measure(session, measure), capability, action == "map")
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse("/followup/alignment", status_code=303)


@router.get("/followup/help-services", response_class=HTMLResponse)
def services_page(request: Request, session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*STAFF))) -> Response:
    from mamoru.followup import publication as pub

    return render(request, "pages/followup/services.html", {
        "services": pub.services(session), "materials": pub.materials(session), "prefectures": pub.prefectures(session),
        "css": CSS, "problems": []})


@router.post("/followup/help-services", response_class=HTMLResponse)
def services_add(request: Request, kind: str = Form(...), prefecture: str = Form(""), name_ja: str = Form(""),
                 name_en: str = Form(""), phone: str = Form(""), hours_ja: str = Form(""), hours_en: str = Form(""),
                 what_ja: str = Form(""), what_en: str = Form(""), url: str = Form(""), measure: str = Form(""),
                 title_ja: str = Form(""), title_en: str = Form(""), audience: str = Form("families"),
                 session: Session = Depends(get_session),
                 user: User = Depends(require_roles(roles.COORDINATOR, roles.AGENCY_OFFICER))) -> Response:
    from mamoru.followup import publication as pub

    if kind == "material":
        pub.add_material(session, user, measure or None, title_en, title_ja, url, audience)
    else:
        pub.add_service(session, user, prefecture, name_en, name_ja, phone, hours_en, hours_ja, what_en, what_ja, url)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse("/followup/help-services", status_code=303)
