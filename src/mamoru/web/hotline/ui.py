"""Hotline pages for analysts: queue, case (with the reporters' contacts, opened and audited as the
API does), figures, provider directory. Pages show URLs and metadata only: no previews, no content.
The public report form is web/hotline/report_form.py (the `intake` process role serves it alone)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.blocklist.settings import BlocklistSettings
from mamoru.db import utcnow
from mamoru.errors import DomainError, InvalidInput
from mamoru.hotline import contacts, figures, intake, labels, notices, to_banks, to_blocklist, triage, vocabulary
from mamoru.hotline import service as svc
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import Assessment, DeletionRequest, PoliceReferral, RemovalCheck
from mamoru.hotline.runtime import for_app
from mamoru.i18n import error_messages, problem_text, reason_text
from mamoru.web.deps import get_lang, get_session, get_settings, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
ANALYSTS = require_roles(roles.ANALYST, roles.SENIOR_ANALYST)
FIGURE_READERS = require_roles(roles.ANALYST, roles.SENIOR_ANALYST, roles.COORDINATOR, roles.ADMINISTRATOR, roles.AUDITOR)


@router.get("/hotline", response_class=HTMLResponse)
def queue_page(request: Request, session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    """The queue, searched and filtered by the query string (a filtered queue can be bookmarked)."""
    problems: list[str] = []
    try:
        chosen = triage.parse(request.query_params)
    except InvalidInput as exc:
        chosen, problems = triage.CaseFilter(), error_messages(get_lang(request), exc)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    ctx = {"queue": triage.find(session, chosen, user), "filter": chosen, "problems": problems, "here": here,
           "open": svc.open_cases(session) if chosen.is_default else [], "now": utcnow(),
           "statuses": triage.STATUS_CHOICES, "sources": triage.SOURCE_CHOICES}
    return render(request, "pages/hotline/queue.html", ctx, status_code=422 if problems else 200)


def _back_to(next_path: str, case_id: int) -> str:
    """Where a form on the queue or case page returns: a hotline page of this site, else the case."""
    if next_path.startswith("/hotline") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return f"/hotline/cases/{case_id}"


@router.post("/hotline/cases/{case_id}/assign", response_class=HTMLResponse)
def take_case(case_id: int, request: Request, take: str = Form("1"), next_path: str = Form("", alias="next"),
              session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    """Assign the case to oneself (take=1) or give it back (take=0)."""
    case = svc.get_case(session, case_id)
    triage.take(session, case, user, take != "0")
    return RedirectResponse(_back_to(next_path, case_id), status_code=303)


@router.post("/hotline/cases/{case_id}/removal-check", response_class=HTMLResponse)
def check_removal_now(case_id: int, request: Request, session: Session = Depends(get_session),
                      user: User = Depends(ANALYSTS)) -> Response:
    """One removal check now, as the worker makes them; the case page then shows what it found."""
    rt = for_app(request.app.state)
    case = svc.get_case(session, case_id)
    try:
        row = svc.check_removal_now(session, case, rt.checker, rt.settings.levels.check_hours, user)
    except DomainError as exc:
        session.rollback()
        return _case_page(request, session, user, case_id, error_messages(get_lang(request), exc), exc.status)
    return RedirectResponse(f"/hotline/cases/{case_id}?checked={row.id}#checks", status_code=303)


def _case_page(request: Request, session: Session, user: User, case_id: int, problems: list[str] | None = None,
               status: int = 200, proposed: int | None = None, checked: int | None = None) -> Response:
    case = svc.read_case(session, case_id, user)
    views = contacts.reveal_for_case(session, for_app(request.app.state).contacts, case, user)
    ctx = {
        "case": case, "problems": problems or [], "verdicts": wf.VERDICTS, "content_types": intake.CONTENT_TYPES,
        "legal_bases": svc.legal_bases(session), "severities": svc.labels(session, "severity"),
        "age_bands": svc.labels(session, "age_band"), "providers": svc.providers(session),
        "referrals": list(session.scalars(select(PoliceReferral).where(PoliceReferral.case_id == case.id))),
        "requests": list(session.scalars(select(DeletionRequest).where(DeletionRequest.case_id == case.id).order_by(DeletionRequest.id))),
        "checks": list(session.scalars(select(RemovalCheck).where(RemovalCheck.case_id == case.id).order_by(RemovalCheck.id.desc()).limit(20))),
        "hashes": svc.case_hashes(session, case), "is_senior": user.role == roles.SENIOR_ANALYST,
        "contacts": views,
        "platform_matches": [e for e in case.events if e.kind == "platform_match"],
        "proposed": proposed,  # the blocking list entry just proposed from this page
        "checked": session.get(RemovalCheck, checked) if checked else None,  # the check just asked for here
        "checkable": case.status in svc.CHECKED_STATUSES and not case.police_hold,
        "work_error_text": vocabulary.work_error_text(case, get_lang(request)) if case.work_error_job else "",
    }
    return render(request, "pages/hotline/case.html", ctx, status_code=status)


@router.get("/hotline/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: int, request: Request, proposed: int | None = None, checked: int | None = None,
              session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    return _case_page(request, session, user, case_id, proposed=proposed, checked=checked)


def _act(request: Request, session: Session, user: User, case_id: int, action: object) -> Response:
    try:
        action()  # type: ignore[operator]
    except DomainError as exc:
        session.rollback()
        return _case_page(request, session, user, case_id, error_messages(get_lang(request), exc), exc.status)
    return RedirectResponse(f"/hotline/cases/{case_id}", status_code=303)


@router.post("/hotline/cases/{case_id}/assess", response_class=HTMLResponse)
def assess(case_id: int, request: Request, verdict: str = Form(...), legal_basis: str = Form(""),
           content_type: str = Form(""), severity: str = Form(""), age_band: str = Form(""),
           hosting_country: str = Form(""), note: str = Form(""), session: Session = Depends(get_session),
           user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.assess(
        session, case, user, verdict, legal_basis=legal_basis, content_type=content_type, severity=severity,
        age_band=age_band, hosting_country=hosting_country.strip().upper() or None, note=note))


@router.post("/hotline/cases/{case_id}/trace", response_class=HTMLResponse)
def trace(case_id: int, request: Request, session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.apply_trace(session, case, for_app(request.app.state).resolver, user))


@router.post("/hotline/cases/{case_id}/provider", response_class=HTMLResponse)
def choose_provider(case_id: int, request: Request, provider_id: int = Form(...), session: Session = Depends(get_session),
                    user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.choose_provider(session, case, user, provider_id))


@router.post("/hotline/cases/{case_id}/refer", response_class=HTMLResponse)
def refer(case_id: int, request: Request, police_unit: str = Form(""), reference: str = Form(""), hold: str = Form(""),
          note: str = Form(""), session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.refer_to_police(
        session, case, user, police_unit=police_unit, reference=reference, hold=bool(hold), note=note))


@router.post("/hotline/cases/{case_id}/hold", response_class=HTMLResponse)
def hold(case_id: int, request: Request, hold: str = Form(""), reason: str = Form(""),
         session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.set_hold(session, case, user, hold == "1", reason))


@router.post("/hotline/cases/{case_id}/forward", response_class=HTMLResponse)
def forward(case_id: int, request: Request, partner: str = Form(""), reference: str = Form(""),
            session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.forward_abroad(session, case, user, partner, reference))


@router.post("/hotline/cases/{case_id}/notice", response_class=HTMLResponse)
def send_notice(case_id: int, request: Request, session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    rt = for_app(request.app.state)
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: notices.send_deletion_request(session, case, rt.mailer, rt.settings, user))


@router.post("/hotline/cases/{case_id}/confirm-removal", response_class=HTMLResponse)
def confirm_removal(case_id: int, request: Request, note: str = Form(""), session: Session = Depends(get_session),
                    user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.confirm_removal(session, case, user, note))


@router.post("/hotline/cases/{case_id}/hash", response_class=HTMLResponse)
def add_hash(case_id: int, request: Request, algorithm: str = Form(...), value: str = Form(...),
             session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.add_hash(session, case, user, algorithm, value))


@router.post("/hotline/cases/{case_id}/guidance", response_class=HTMLResponse)
def guidance(case_id: int, request: Request, route: str = Form(""), session: Session = Depends(get_session),
             user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: svc.set_guidance_route(session, case, user, route))


@router.post("/hotline/cases/{case_id}/blocklist", response_class=HTMLResponse)
def propose_to_blocklist(case_id: int, request: Request, session: Session = Depends(get_session),
                         user: User = Depends(ANALYSTS)) -> Response:
    """Propose the case's URL; the case page then says so and links to the entry to confirm."""
    case = svc.get_case(session, case_id)
    review_days = get_settings(request).domain(BlocklistSettings).review_days
    try:
        entry = to_blocklist.propose(session, user, case, review_days=review_days)
    except DomainError as exc:
        session.rollback()
        return _case_page(request, session, user, case_id, error_messages(get_lang(request), exc), exc.status)
    return RedirectResponse(f"/hotline/cases/{case_id}?proposed={entry.id}", status_code=303)


@router.post("/hotline/cases/{case_id}/hash-bank", response_class=HTMLResponse)
def send_hashes(case_id: int, request: Request, session: Session = Depends(get_session),
                user: User = Depends(ANALYSTS)) -> Response:
    case = svc.get_case(session, case_id)
    return _act(request, session, user, case_id, lambda: to_banks.send_hashes_to_bank(session, case, user))


@router.post("/hotline/assessments/{assessment_id}/review", response_class=HTMLResponse)
def review(assessment_id: int, request: Request, outcome: str = Form(...), reason: str = Form(""),
           new_verdict: str = Form(""), legal_basis: str = Form(""), session: Session = Depends(get_session),
           user: User = Depends(require_roles(roles.SENIOR_ANALYST))) -> Response:
    a = session.get(Assessment, assessment_id)
    if a is None:
        raise InvalidInput("no such assessment")
    return _act(request, session, user, a.case_id, lambda: svc.review(
        session, a, user, outcome == "upheld", reason, new_verdict or None, legal_basis or None))


@router.get("/hotline/figures", response_class=HTMLResponse)
def figures_page(request: Request, by: str = "fy", session: Session = Depends(get_session),
                 user: User = Depends(FIGURE_READERS)) -> Response:
    by = by if by in ("fy", "month") else "fy"
    return render(request, "pages/hotline/figures.html", {"rows": figures.compute(session, by), "by": by})


@router.get("/hotline/providers", response_class=HTMLResponse)
def providers_page(request: Request, session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    return render(request, "pages/hotline/providers.html", {"providers": svc.providers(session), "problems": []})


@router.post("/hotline/providers", response_class=HTMLResponse)
def save_provider(request: Request, name: str = Form(""), abuse_email: str = Form(""), language: str = Form("ja"),
                  country: str = Form("JP"), networks: str = Form(""), domains: str = Form(""),
                  session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    try:
        svc.add_provider(session, user, name, abuse_email, language, country, networks.split(","), domains.split(","))
    except InvalidInput as exc:
        session.rollback()
        lang = get_lang(request)
        problems = [{"field": p.field, "reason": reason_text(lang, p), "text": problem_text(lang, p)} for p in exc.problems]
        return render(request, "pages/hotline/providers.html", {"providers": svc.providers(session),
                                                                "problems": problems}, status_code=422)
    return RedirectResponse("/hotline/providers", status_code=303)


def _labels_page(request: Request, session: Session, user: User, problems: list[str] | None = None,
                 status: int = 200) -> Response:
    return render(request, "pages/hotline/labels.html", {"labels": labels.all_labels(session), "kinds": labels.KINDS,
                                                         "is_senior": user.role == roles.SENIOR_ANALYST,
                                                         "problems": problems or []}, status_code=status)


@router.get("/hotline/labels", response_class=HTMLResponse)
def labels_page(request: Request, session: Session = Depends(get_session), user: User = Depends(ANALYSTS)) -> Response:
    return _labels_page(request, session, user)


@router.post("/hotline/labels", response_class=HTMLResponse)
def save_label(request: Request, kind: str = Form(""), code: str = Form(""), title_en: str = Form(""),
               title_ja: str = Form(""), position: str = Form(""), active: str = Form(""),
               session: Session = Depends(get_session), user: User = Depends(require_roles(roles.SENIOR_ANALYST))) -> Response:
    """Empty titles or position leave the label's as they are; the checkbox sets whether it is offered."""
    try:
        if position.strip() and not position.strip().isdigit():
            raise InvalidInput("position: a number from 0 to 10000")
        change = labels.LabelChange(title_en=title_en or None, title_ja=title_ja or None,
                                    position=int(position) if position.strip() else None, active=bool(active))
        labels.save_label(session, user, kind, code, change)
    except DomainError as exc:
        session.rollback()
        return _labels_page(request, session, user, error_messages(get_lang(request), exc), exc.status)
    return RedirectResponse("/hotline/labels", status_code=303)
