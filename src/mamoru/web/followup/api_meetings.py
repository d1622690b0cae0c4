"""JSON API of the bodies that steer the plan and their meetings: chairs, secretariats and names over
time; meetings with attendees, agenda and materials; decisions; action items by owner agency and due
date; corrections of a meeting or a decision, kept with their reason. Staff read; the plan office
writes; an owner agency's officers mark their items done."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.errors import InvalidInput
from mamoru.followup import meeting_corrections as corrections
from mamoru.followup import meetings as msvc
from mamoru.followup import schemas_meetings as sc
from mamoru.web.deps import get_session, require_scope
from mamoru.web.followup.api import staff_only

router = APIRouter(prefix="/api/v1/followup", tags=["followup: meetings"])
REFUSED: dict[int | str, dict[str, Any]] = {403: {"description": "not the plan office"}, 422: {"description": "invalid values"}}


@router.get("/bodies", response_model=list[sc.BodyOut], summary="Bodies with chair, secretariat and names over time")
def list_bodies(session: Session = Depends(get_session), user: User = Depends(require_scope("plan:read"))) -> list[sc.BodyOut]:
    staff_only(user)
    return [sc.body_out(b, p) for b, p in msvc.bodies(session)]


@router.patch("/bodies/{key}", response_model=sc.BodyOut, responses=REFUSED,
              summary="Change a body's chair or secretariat, or rename it from a date (coordinator)")
def patch_body(key: str, body: sc.BodyPatch, session: Session = Depends(get_session),
               user: User = Depends(require_scope("plan:write"))) -> sc.BodyOut:
    rename = None
    if body.new_name_en or body.new_name_ja:
        if body.renamed_on is None:
            raise InvalidInput("renamed_on: the date from which the new name applies")
        rename = (body.new_name_en or "", body.new_name_ja or "", body.renamed_on)
    b, p = msvc.update_body(session, user, key, body.chair_en, body.chair_ja, body.secretariat, rename)
    session.refresh(p)
    return sc.body_out(b, p)


@router.get("/meetings", response_model=list[sc.MeetingOut], summary="Meetings, newest first, with decisions and action items")
def list_meetings(body: str | None = Query(None, description="Only meetings of this body (joint ones included)."),
                  session: Session = Depends(get_session), user: User = Depends(require_scope("plan:read"))) -> list[sc.MeetingOut]:
    staff_only(user)
    today = date.today()
    return [sc.meeting_out(m, today) for m in msvc.meetings(session) if body is None or body in m.body_keys]


@router.post("/meetings", status_code=201, response_model=sc.MeetingOut, responses=REFUSED,
             summary="Record a meeting (coordinator); several bodies make a joint meeting")
def record_meeting(body: sc.MeetingIn, session: Session = Depends(get_session),
                   user: User = Depends(require_scope("plan:write"))) -> sc.MeetingOut:
    m = msvc.record_meeting(session, user, body.held_on, body.title_en, body.title_ja, body.bodies, body.number,
                            attendees=[a.model_dump() for a in body.attendees],
                            agenda=[a.model_dump() for a in body.agenda],
                            materials=[x.model_dump() for x in body.materials])
    return sc.meeting_out(msvc.get_meeting(session, m.id), date.today())


@router.get("/meetings/{meeting_id}", response_model=sc.MeetingOut, summary="One meeting")
def get_meeting(meeting_id: int, session: Session = Depends(get_session),
                user: User = Depends(require_scope("plan:read"))) -> sc.MeetingOut:
    staff_only(user)
    return sc.meeting_out(msvc.get_meeting(session, meeting_id), date.today())


@router.patch("/meetings/{meeting_id}", response_model=sc.MeetingOut, responses=REFUSED,
              summary="Correct a meeting's record, with a reason (coordinator); the values before are kept")
def correct_meeting(meeting_id: int, body: sc.MeetingPatch, session: Session = Depends(get_session),
                    user: User = Depends(require_scope("plan:write"))) -> sc.MeetingOut:
    corrections.correct_meeting(session, user, msvc.get_meeting(session, meeting_id), sc.patch_values(body), body.reason)
    return sc.meeting_out(msvc.get_meeting(session, meeting_id), date.today())


@router.patch("/meetings/{meeting_id}/decisions/{decision_id}", response_model=sc.DecisionOut, responses=REFUSED,
              summary="Correct a decision, with a reason (coordinator); the values before are kept")
def correct_decision(meeting_id: int, decision_id: int, body: sc.DecisionPatch, session: Session = Depends(get_session),
                     user: User = Depends(require_scope("plan:write"))) -> sc.DecisionOut:
    m = msvc.get_meeting(session, meeting_id)
    d = corrections.get_decision(session, m, decision_id)
    corrections.correct_decision(session, user, m, d, sc.patch_values(body), body.reason)
    return sc.decision_out(d)


@router.post("/meetings/{meeting_id}/decisions", status_code=201, response_model=sc.DecisionOut, responses=REFUSED,
             summary="Record a decision of a meeting (coordinator)")
def add_decision(meeting_id: int, body: sc.DecisionIn, session: Session = Depends(get_session),
                 user: User = Depends(require_scope("plan:write"))) -> sc.DecisionOut:
    d = msvc.add_decision(session, user, msvc.get_meeting(session, meeting_id), body.kind, body.text_en,
                          body.text_ja, body.round_id, body.plan_id)
    return sc.decision_out(d)


@router.post("/meetings/{meeting_id}/decisions/{decision_id}/withdraw", response_model=sc.MeetingOut,
             responses={**REFUSED, 409: {"description": "already withdrawn"}},
             summary="Withdraw a mistaken decision, with a reason (coordinator); it is kept, marked withdrawn")
def withdraw_decision(meeting_id: int, decision_id: int, body: sc.WithdrawIn, session: Session = Depends(get_session),
                      user: User = Depends(require_scope("plan:write"))) -> sc.MeetingOut:
    m = msvc.get_meeting(session, meeting_id)
    corrections.withdraw_decision(session, user, m, corrections.get_decision(session, m, decision_id), body.reason)
    return sc.meeting_out(msvc.get_meeting(session, meeting_id), date.today())


@router.post("/meetings/{meeting_id}/actions/{action_id}/withdraw", response_model=sc.MeetingOut,
             responses={**REFUSED, 409: {"description": "already withdrawn"}},
             summary="Withdraw a mistaken action item, with a reason (coordinator); it is kept, marked withdrawn")
def withdraw_action(meeting_id: int, action_id: int, body: sc.WithdrawIn, session: Session = Depends(get_session),
                    user: User = Depends(require_scope("plan:write"))) -> sc.MeetingOut:
    m = msvc.get_meeting(session, meeting_id)
    corrections.withdraw_action(session, user, m, corrections.get_action_of(session, m, action_id), body.reason)
    return sc.meeting_out(msvc.get_meeting(session, meeting_id), date.today())


@router.post("/meetings/{meeting_id}/actions", status_code=201, response_model=sc.ActionItemOut, responses=REFUSED,
             summary="Record an action item linked to a measure, with owner agency and due date (coordinator)")
def add_action(meeting_id: int, body: sc.ActionItemIn, session: Session = Depends(get_session),
               user: User = Depends(require_scope("plan:write"))) -> sc.ActionItemOut:
    a = msvc.add_action(session, user, msvc.get_meeting(session, meeting_id), body.text_en, body.text_ja,
                        body.measure, body.owner, body.due_on)
    session.refresh(a)
    return sc.action_out(a, date.today())


@router.get("/actions", response_model=list[sc.ActionItemOut], summary="Action items by due date, filtered by owner or overdue")
def list_actions(owner: str | None = Query(None, description="Owner agency code."),
                 overdue: bool = Query(False, description="Only open items past their due date."),
                 open_only: bool = Query(False, alias="open", description="Only items not done."),
                 session: Session = Depends(get_session), user: User = Depends(require_scope("plan:read"))) -> list[sc.ActionItemOut]:
    staff_only(user)
    today = date.today()
    items = msvc.action_items(session, owner, today if overdue else None, include_done=not open_only)
    return [sc.action_out(a, today) for a in items]


@router.patch("/actions/{action_id}", response_model=sc.ActionItemOut,
              responses={403: {"description": "neither the plan office nor the owner agency"}},
              summary="Mark an action item done or open (coordinator, or the owner agency's officers)")
def patch_action(action_id: int, body: sc.ActionItemPatch, session: Session = Depends(get_session),
                 user: User = Depends(require_scope("plan:write"))) -> sc.ActionItemOut:
    a = msvc.set_action_done(session, user, msvc.get_action(session, action_id), body.done)
    return sc.action_out(a, date.today())
