"""Pages of the bodies that steer the plan and their meetings: record a meeting (joint ones too),
its decisions and action items, correct the record or a decision and withdraw a mistaken decision
or action item (with a reason, kept), and the action items by owner agency and due date, overdue first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.followup import meeting_corrections as corrections
from mamoru.followup import meetings as msvc
from mamoru.followup import rounds as rsvc
from mamoru.followup.models import DECISION_KINDS
from mamoru.plan import service as plan_svc
from mamoru.web import forms
from mamoru.web.deps import get_session, require_roles
from mamoru.web.followup.ui_rounds import CSS, STAFF
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


def _lines(text: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """'a | b | c' lines of a text area as dictionaries (missing parts empty)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")] + [""] * len(keys)
            out.append(dict(zip(keys, parts, strict=False)))
    return out


def _list_page(request: Request, session: Session, problems: Any = (), status: int = 200,
               typed: dict[str, Any] | None = None) -> Response:
    return render(request, "pages/followup/meetings.html", {
        "bodies": msvc.bodies(session), "meetings": msvc.meetings(session), "agencies": plan_svc.agencies(session),
        "problems": list(problems), "typed": typed or {}, "css": CSS}, status_code=status)


@router.get("/followup/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*STAFF))) -> Response:
    return _list_page(request, session)


@router.post("/followup/meetings", response_class=HTMLResponse)
def meeting_record(request: Request, held_on: str = Form(...), number: str = Form(""), title_en: str = Form(""),
                   title_ja: str = Form(""), bodies: list[str] = Form([]), agenda: str = Form(""),
                   attendees: str = Form(""), materials: str = Form(""), session: Session = Depends(get_session),
                   user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    typed = {"held_on": held_on, "number": number, "title_en": title_en, "title_ja": title_ja, "bodies": bodies,
             "agenda": agenda, "attendees": attendees, "materials": materials}
    return forms.submit(
        session, lambda: msvc.record_meeting(
            session, user, date.fromisoformat(held_on), title_en, title_ja, bodies,
            int(number) if number.strip() else None, attendees=_lines(attendees, ("name", "title", "agency")),
            agenda=_lines(agenda, ("ja", "en")), materials=_lines(materials, ("url", "title"))),
        done=lambda m: f"/followup/meetings/{m.id}",
        again=lambda problems, _: _list_page(request, session, problems, 422, typed))


def _meeting_page(request: Request, session: Session, meeting_id: int, problems: Any = (),
                  status: int = 200, typed: dict[str, Any] | None = None) -> Response:
    plan = plan_svc.default_plan(session)
    return render(request, "pages/followup/meeting.html", {
        "m": msvc.get_meeting(session, meeting_id), "kinds": DECISION_KINDS, "rounds": rsvc.rounds(session),
        "label": rsvc.round_label, "measures": [m for p in plan_svc.plan_pillars(session, plan) for m in p.measures],
        "bodies": msvc.bodies(session), "agencies": plan_svc.agencies(session), "today": date.today(),
        "problems": list(problems), "typed": typed or {}, "css": CSS}, status_code=status)


def _again(request: Request, session: Session, meeting_id: int,
           typed: dict[str, Any] | None = None) -> Callable[[forms.Problems, int], Response]:
    """The meeting page again, with the problems and (for a new decision or action item) what was typed."""
    return lambda problems, _: _meeting_page(request, session, meeting_id, problems, 422, typed)


@router.get("/followup/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(meeting_id: int, request: Request, session: Session = Depends(get_session),
                 user: User = Depends(require_roles(*STAFF))) -> Response:
    return _meeting_page(request, session, meeting_id)


@router.post("/followup/meetings/{meeting_id}/decisions", response_class=HTMLResponse)
def meeting_decision(meeting_id: int, request: Request, kind: str = Form(...), text_en: str = Form(""),
                     text_ja: str = Form(""), round_id: str = Form(""), session: Session = Depends(get_session),
                     user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    typed = {"decision": {"kind": kind, "text_en": text_en, "text_ja": text_ja, "round_id": round_id}}
    return forms.submit(
        session, lambda: msvc.add_decision(session, user, msvc.get_meeting(session, meeting_id), kind, text_en, text_ja,
                                           int(round_id) if round_id.strip() else None),
        done=f"/followup/meetings/{meeting_id}#decisions", again=_again(request, session, meeting_id, typed))


@router.post("/followup/meetings/{meeting_id}/edit", response_class=HTMLResponse)
def meeting_correct(meeting_id: int, request: Request, held_on: str = Form(...), number: str = Form(""),
                    title_en: str = Form(""), title_ja: str = Form(""), bodies: list[str] = Form([]),
                    agenda: str = Form(""), attendees: str = Form(""), materials: str = Form(""),
                    reason: str = Form(""), session: Session = Depends(get_session),
                    user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def correct() -> None:
        values = {"held_on": date.fromisoformat(held_on), "number": int(number) if number.strip() else None,
                  "title_en": title_en, "title_ja": title_ja, "bodies": bodies,
                  "attendees": _lines(attendees, ("name", "title", "agency")), "agenda": _lines(agenda, ("ja", "en")),
                  "materials": _lines(materials, ("url", "title"))}
        corrections.correct_meeting(session, user, msvc.get_meeting(session, meeting_id), values, reason)

    return forms.submit(session, correct, done=f"/followup/meetings/{meeting_id}#corrections",
                        again=_again(request, session, meeting_id))


@router.post("/followup/meetings/{meeting_id}/decisions/{decision_id}", response_class=HTMLResponse)
def decision_correct(meeting_id: int, decision_id: int, request: Request, kind: str = Form(...),
                     text_en: str = Form(""), text_ja: str = Form(""), round_id: str = Form(""),
                     reason: str = Form(""), session: Session = Depends(get_session),
                     user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def correct() -> None:
        m = msvc.get_meeting(session, meeting_id)
        values = {"kind": kind, "text_en": text_en, "text_ja": text_ja,
                  "round_id": int(round_id) if round_id.strip() else None}
        corrections.correct_decision(session, user, m, corrections.get_decision(session, m, decision_id), values, reason)

    return forms.submit(session, correct, done=f"/followup/meetings/{meeting_id}#decision-{decision_id}",
                        again=_again(request, session, meeting_id))


@router.post("/followup/meetings/{meeting_id}/decisions/{decision_id}/withdraw", response_class=HTMLResponse)
def decision_withdraw(meeting_id: int, decision_id: int, request: Request, reason: str = Form(""),
                      session: Session = Depends(get_session),
                      user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def withdraw() -> None:
        m = msvc.get_meeting(session, meeting_id)
        corrections.withdraw_decision(session, user, m, corrections.get_decision(session, m, decision_id), reason)

    typed = {"withdraw": {f"decision-{decision_id}": reason}}
    return forms.submit(session, withdraw, done=f"/followup/meetings/{meeting_id}#decision-{decision_id}",
                        again=_again(request, session, meeting_id, typed))


@router.post("/followup/meetings/{meeting_id}/actions/{action_id}/withdraw", response_class=HTMLResponse)
def action_withdraw(meeting_id: int, action_id: int, request: Request, reason: str = Form(""),
                    session: Session = Depends(get_session),
                    user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def withdraw() -> None:
        m = msvc.get_meeting(session, meeting_id)
        corrections.withdraw_action(session, user, m, corrections.get_action_of(session, m, action_id), reason)

    typed = {"withdraw": {f"action-{action_id}": reason}}
    return forms.submit(session, withdraw, done=f"/followup/meetings/{meeting_id}#actions",
                        again=_again(request, session, meeting_id, typed))


@router.post("/followup/meetings/{meeting_id}/actions", response_class=HTMLResponse)
def meeting_action(meeting_id: int, request: Request, text_ja: str = Form(""), text_en: str = Form(""),
                   measure: str = Form(""), owner: str = Form(""), due_on: str = Form(""),
                   session: Session = Depends(get_session),
                   user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    typed = {"action": {"text_ja": text_ja, "text_en": text_en, "measure": measure, "owner": owner, "due_on": due_on}}
    return forms.submit(
        session, lambda: msvc.add_action(session, user, msvc.get_meeting(session, meeting_id), text_en, text_ja,
                                         measure or None, owner or None, date.fromisoformat(due_on) if due_on else None),
        done=f"/followup/meetings/{meeting_id}#actions", again=_again(request, session, meeting_id, typed))


@router.post("/followup/bodies/{key}", response_class=HTMLResponse)
def body_update(key: str, request: Request, chair_ja: str = Form(""), chair_en: str = Form(""),
                secretariat: str = Form(""), new_name_ja: str = Form(""), new_name_en: str = Form(""),
                renamed_on: str = Form(""), session: Session = Depends(get_session),
                user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    def update() -> None:
        rename = None
        if new_name_ja.strip() or new_name_en.strip():
            rename = (new_name_en, new_name_ja, date.fromisoformat(renamed_on))
        msvc.update_body(session, user, key, chair_en or None, chair_ja or None, secretariat or None, rename)

    return forms.submit(session, update, done="/followup/meetings#bodies",
                        again=lambda problems, _: _list_page(request, session, problems, 422))


@router.get("/followup/actions", response_class=HTMLResponse)
def actions_page(request: Request, owner: str = "", overdue: str = "", session: Session = Depends(get_session),
                 user: User = Depends(require_roles(*STAFF))) -> Response:
    today = date.today()
    items = msvc.action_items(session, owner or None, today if overdue else None)
    return render(request, "pages/followup/actions.html", {
        "items": items, "owner": owner, "overdue": bool(overdue), "today": today, "css": CSS,
        "agencies": plan_svc.agencies(session)})


@router.post("/followup/actions/{action_id}", response_class=HTMLResponse)
def action_done(action_id: int, request: Request, done: str = Form(...), back: str = Form("/followup/actions"),
                session: Session = Depends(get_session),
                user: User = Depends(require_roles(roles.COORDINATOR, roles.AGENCY_OFFICER))) -> Response:
    msvc.set_action_done(session, user, msvc.get_action(session, action_id), done == "yes")
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse(back if back.startswith("/followup/") else "/followup/actions", status_code=303)
