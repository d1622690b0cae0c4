"""Pages of the blocking list for hotline staff: the list, proposing an entry, confirming one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.blocklist import publishing, service
from mamoru.errors import DomainError, InvalidInput
from mamoru.web.deps import get_session, get_settings, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
EDITORS = tuple(sorted(service.EDITOR_ROLES))
READERS = (*EDITORS, roles.AUDITOR)


@router.get("/blocklist", response_class=HTMLResponse)
def list_page(request: Request, session: Session = Depends(get_session),
              user: User = Depends(require_roles(*READERS))) -> Response:
    return render(request, "pages/blocklist/list.html", {
        "version": service.current_version(session), "publication": publishing.latest_publication(session),
        "proposed": service.entries(session, "proposed"), "active": service.entries(session, "active"),
        "can_edit": user.role in service.EDITOR_ROLES})


def _form(request: Request, problems: list[str], values: dict[str, str], status: int = 200) -> Response:
    return render(request, "pages/blocklist/propose.html", {"problems": problems, "values": values,
                                                            "criteria": service.CRITERIA_TEXT}, status_code=status)


@router.get("/blocklist/propose", response_class=HTMLResponse)
def propose_page(request: Request, user: User = Depends(require_roles(*EDITORS))) -> Response:
    return _form(request, [], {"kind": "url"})


@router.post("/blocklist/propose", response_class=HTMLResponse)
async def propose_submit(request: Request, kind: str = Form(...), value: str = Form(...), reason: str = Form(""),
                         case_ref: str = Form(""), category: str = Form(service.DEFAULT_CATEGORY),
                         session: Session = Depends(get_session),
                         user: User = Depends(require_roles(*EDITORS))) -> Response:
    criteria = [str(c) for c in (await request.form()).getlist("criteria")]
    cfg = publishing.BlocklistSettings.from_settings(get_settings(request))
    try:
        e = service.propose(session, user, kind, value, reason, criteria=criteria, category=category,
                            case_ref=case_ref, review_days=cfg.review_days)
    except DomainError as exc:
        session.rollback()
        problems = [str(p) for p in exc.problems] if isinstance(exc, InvalidInput) else [str(exc)]
        return _form(request, problems, {"kind": kind, "value": value, "reason": reason, "case_ref": case_ref,
                                         "category": category}, status=422)
    return RedirectResponse(f"/blocklist/entries/{e.id}", status_code=303)


@router.get("/blocklist/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(entry_id: int, request: Request, session: Session = Depends(get_session),
               user: User = Depends(require_roles(*READERS))) -> Response:
    e = service.get_entry(session, entry_id)
    refusal = service.four_eyes_refusal(e.proposed_by, user) if e.status == "proposed" else None
    can_confirm = e.status == "proposed" and user.role in service.EDITOR_ROLES and refusal is None
    return render(request, "pages/blocklist/entry.html", {"e": e, "can_confirm": can_confirm, "refusal": refusal})


@router.post("/blocklist/entries/{entry_id}/confirm", response_class=HTMLResponse)
def confirm_submit(entry_id: int, session: Session = Depends(get_session),
                   user: User = Depends(require_roles(*EDITORS))) -> Response:
    service.confirm(session, user, entry_id)
    return RedirectResponse(f"/blocklist/entries/{entry_id}", status_code=303)
