"""The blocking list's JSON API for hotline staff: entries, four-eyes confirmation, review, appeals,
versions and publishing.

Analysts, senior analysts and administrators propose, confirm, reject, remove and re-verify entries
and record appeals; senior analysts and administrators decide appeals and publish; auditors read.
Every handler is one service call (`mamoru.blocklist.service` / `publishing`), so the rules are the
same as on the pages and the command line. A refused confirmation answers 403 with the reason, and
the refusal stays in the audit log. Subscribers use the feed (`mamoru.web.blocklist.feed`), not this.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.blocklist import publishing, service
from mamoru.blocklist.schemas import (
    BlocklistAppealIn,
    BlocklistAppealOut,
    BlocklistCompareOut,
    BlocklistDecisionIn,
    BlocklistEntryIn,
    BlocklistEntryOut,
    BlocklistPublicationOut,
    BlocklistReasonIn,
    BlocklistRemoveIn,
    BlocklistReverifyIn,
    BlocklistSubscriberIn,
    BlocklistSubscriberOut,
    BlocklistVersionOut,
)
from mamoru.blocklist.settings import BlocklistSettings
from mamoru.errors import PermissionDenied
from mamoru.web.deps import get_session, get_settings, require_roles

router = APIRouter(prefix="/api/v1/blocklist", tags=["blocklist (staff)"])
EDITORS = require_roles(*sorted(service.EDITOR_ROLES), scope="blocklist")
DECIDERS = require_roles(*sorted(service.DECIDER_ROLES), scope="blocklist")
READERS = require_roles(*sorted(service.EDITOR_ROLES | {roles.AUDITOR}), scope="blocklist")
Status = Literal["proposed", "active", "rejected", "removed"]


@router.get("/entries", summary="List or search entries (newest first)")
def list_entries(status: Status | None = None, kind: Literal["url", "host", "domain"] | None = None,
                 q: str | None = Query(None, description="Part of the value or of the hotline case reference."),
                 limit: int = Query(200, ge=1, le=1000), session: Session = Depends(get_session),
                 user: User = Depends(READERS)) -> list[BlocklistEntryOut]:
    return [BlocklistEntryOut.of(e) for e in service.entries(session, status, limit, search=q, kind=kind)]


@router.get("/entries/review-due", summary="Active entries whose review date has come")
def review_due(on: date | None = Query(None, description="Default: today."), session: Session = Depends(get_session),
               user: User = Depends(READERS)) -> list[BlocklistEntryOut]:
    return [BlocklistEntryOut.of(e) for e in service.review_due(session, on or date.today())]


@router.post("/entries", status_code=201, summary="Propose an entry; a second, different person confirms it")
def propose(body: BlocklistEntryIn, request: Request, session: Session = Depends(get_session),
            user: User = Depends(EDITORS)) -> BlocklistEntryOut:
    cfg = get_settings(request).domain(BlocklistSettings)
    e = service.propose(session, user, body.kind, body.value, body.reason, criteria=body.criteria,
                        category=body.category, case_ref=body.case_ref, review_days=cfg.review_days)
    return BlocklistEntryOut.of(e)


@router.get("/entries/{entry_id}", summary="One entry")
def get_entry(entry_id: int, session: Session = Depends(get_session), user: User = Depends(READERS)) -> BlocklistEntryOut:
    return BlocklistEntryOut.of(service.get_entry(session, entry_id))


@router.post("/entries/{entry_id}/confirm", summary="Confirm (four eyes): 403 for the proposer, an account the "
             "proposer created, or the account that created the proposer's", responses={403: {"description": "refused"}})
def confirm(entry_id: int, session: Session = Depends(get_session), user: User = Depends(EDITORS)) -> BlocklistEntryOut:
    try:
        e = service.confirm(session, user, entry_id)
    except PermissionDenied:
        session.commit()  # keep the audited refusal; the handler answers 403 with the reason
        raise
    return BlocklistEntryOut.of(e)


@router.post("/entries/{entry_id}/reject", summary="Reject (or, as proposer, withdraw) an unconfirmed entry")
def reject(entry_id: int, body: BlocklistReasonIn, session: Session = Depends(get_session),
           user: User = Depends(EDITORS)) -> BlocklistEntryOut:
    return BlocklistEntryOut.of(service.reject(session, user, entry_id, body.reason))


@router.post("/entries/{entry_id}/remove", summary="Take an active entry off the list (a new version)")
def remove(entry_id: int, body: BlocklistRemoveIn, session: Session = Depends(get_session),
           user: User = Depends(EDITORS)) -> BlocklistEntryOut:
    e = (service.content_removed(session, user, entry_id) if body.content_removed
         else service.remove(session, user, entry_id, body.reason))
    return BlocklistEntryOut.of(e)


@router.post("/entries/{entry_id}/reverify", summary="Record a re-verification and the next review date")
def reverify(entry_id: int, body: BlocklistReverifyIn, session: Session = Depends(get_session),
             user: User = Depends(EDITORS)) -> BlocklistEntryOut:
    return BlocklistEntryOut.of(service.reverify(session, user, entry_id, body.next_review))


@router.get("/appeals", summary="Appeals, oldest first")
def list_appeals(status: Literal["pending", "upheld", "rejected"] | None = None, entry_id: int | None = None,
                 session: Session = Depends(get_session), user: User = Depends(READERS)) -> list[BlocklistAppealOut]:
    return [BlocklistAppealOut.of(a) for a in service.appeals(session, status, entry_id)]


@router.post("/entries/{entry_id}/appeals", status_code=201, summary="Record a site owner's appeal")
def record_appeal(entry_id: int, body: BlocklistAppealIn, session: Session = Depends(get_session),
                  user: User = Depends(EDITORS)) -> BlocklistAppealOut:
    return BlocklistAppealOut.of(service.record_appeal(session, user, entry_id, body.appellant, body.grounds))


@router.post("/appeals/{appeal_id}/decision", summary="Decide an appeal (a senior analyst or administrator who "
             "neither proposed nor confirmed the entry); upholding removes the entry")
def decide_appeal(appeal_id: int, body: BlocklistDecisionIn, session: Session = Depends(get_session),
                  user: User = Depends(DECIDERS)) -> BlocklistAppealOut:
    return BlocklistAppealOut.of(service.decide_appeal(session, user, appeal_id, body.upheld, body.reason))


@router.get("/version", summary="The list's current version and the last published one")
def version(session: Session = Depends(get_session), user: User = Depends(READERS)) -> BlocklistVersionOut:
    pub = publishing.latest_publication(session)
    return BlocklistVersionOut(version=service.current_version(session), published_version=pub.version if pub else None)


@router.get("/versions/compare", summary="What changed between two versions of the list")
def compare(from_version: int = Query(..., alias="from", ge=0), to_version: int = Query(..., alias="to", ge=0),
            session: Session = Depends(get_session), user: User = Depends(READERS)) -> BlocklistCompareOut:
    return BlocklistCompareOut.of(service.compare(session, from_version, to_version))


@router.post("/publications", status_code=201, summary="Build and sign every format and the delta, all or nothing")
def publish(request: Request, session: Session = Depends(get_session), user: User = Depends(DECIDERS)) -> BlocklistPublicationOut:
    cfg = get_settings(request).domain(BlocklistSettings)
    return BlocklistPublicationOut.of(publishing.publish(session, user, cfg))


ADMINS = require_roles(roles.ADMINISTRATOR, scope="blocklist")


@router.get("/subscribers", summary="Every subscriber and what it may fetch (administrators)")
def subscribers(session: Session = Depends(get_session), user: User = Depends(ADMINS)) -> list[BlocklistSubscriberOut]:
    return [BlocklistSubscriberOut(username=u.username, entitlement=e)  # type: ignore[arg-type]
            for u, e in service.subscriptions(session)]


@router.put("/subscribers/{username}", summary="Set what a subscriber may fetch: every format, or the hashed "
            "list only (administrators; audited)")
def set_subscriber(username: str, body: BlocklistSubscriberIn, session: Session = Depends(get_session),
                   user: User = Depends(ADMINS)) -> BlocklistSubscriberOut:
    row = service.set_entitlement(session, user, username, body.entitlement)
    return BlocklistSubscriberOut(username=username, entitlement=row.entitlement)  # type: ignore[arg-type]
