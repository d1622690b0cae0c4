"""JSON API of the hotline under /api/v1/hotline: trusted-flagger intake (single, batch, CSV from
partner hotlines), case work for analysts, exports, providers and figures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import User
from mamoru.blocklist.settings import BlocklistSettings
from mamoru.hotline import contacts, export, figures, intake, labels, notices, to_banks, to_blocklist, triage
from mamoru.hotline import schemas as sc
from mamoru.hotline import service as svc
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import Assessment
from mamoru.hotline.runtime import HotlineRuntime, for_app, write_transaction
from mamoru.web.deps import (
    Principal,
    get_lang,
    get_principal,
    get_session,
    get_settings,
    require_roles,
    require_token_before_body,
)

router = APIRouter(prefix="/api/v1/hotline", tags=["hotline"])
STAFF = (roles.ANALYST, roles.SENIOR_ANALYST)
READERS = require_roles(*STAFF, scope="hotline:read")
WORKERS = require_roles(*STAFF, scope="hotline:write")
SENIOR_READER = require_roles(roles.SENIOR_ANALYST, scope="hotline:read")
SENIOR_WORKER = require_roles(roles.SENIOR_ANALYST, scope="hotline:write")
FIGURE_READERS = require_roles(roles.ANALYST, roles.SENIOR_ANALYST, roles.COORDINATOR, roles.ADMINISTRATOR, roles.AUDITOR,
                               scope="hotline:figures")
FLAGGERS = frozenset(r for r in roles.ALL_ROLES if roles.may_hold(r, "flagger"))


def runtime(request: Request) -> HotlineRuntime:
    return for_app(request.app.state)


async def _csv_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > 5_000_000:
        raise HTTPException(413, "a CSV import is at most 5 MB")
    return body


def _flagger(s: Session, request: Request) -> tuple[User, int]:
    """The trusted flagger behind a Bearer token holding the `flagger` scope, and the token's id."""
    bearer = request.headers.get("authorization", "")
    tok = auth_service.find_token(s, bearer[7:].strip()) if bearer.lower().startswith("bearer ") else None
    if tok is None:
        raise HTTPException(401, "a valid trusted-flagger API token is needed", headers={"WWW-Authenticate": "Bearer"})
    if tok.user.role not in FLAGGERS or "flagger" not in (tok.scopes or []):
        raise HTTPException(403, "this API token lacks the scope 'flagger' (or its owner's role may no longer hold it)")
    return tok.user, tok.id


def _store(request: Request, items: Callable[[], list[intake.ReportInput]], source: str,
           partner: str = "") -> list[sc.ReportOut]:
    """Authenticate, count against the token's own limit and store (intake.receive), in one short
    transaction that commits before the response (see runtime.write_transaction), in one worker thread."""
    rt = runtime(request)
    limit, window = rt.settings.flagger_rate
    with write_transaction(request.app.state.database) as s:
        user, token_id = _flagger(s, request)
        batch = items()
        for _ in range(max(len(batch), 1)):
            if not rt.limiter.allow(f"token:{token_id}", limit, window):
                raise HTTPException(429, f"rate limit: at most {limit} reports per {window} s for this token",
                                    headers={"Retry-After": str(window)})
        received = intake.receive(s, batch, source, rt.settings, flagger=user, partner=partner, contacts=rt.contacts,
                                  mailer=rt.mailer)
        return [sc.ReportOut.of(r) for r in received.reports]


async def _store_async(request: Request, items: Callable[[], list[intake.ReportInput]], source: str,
                       partner: str = "") -> list[sc.ReportOut]:
    """Run `_store` on the hotline's own few intake threads: a handful of threads doing database work
    keeps the interpreter lock from convoying under load, while the event loop reads requests."""
    executor = runtime(request).intake_executor
    return await asyncio.get_running_loop().run_in_executor(executor, _store, request, items, source, partner)


BEARER = HTTPBearer(description="A trusted flagger's API token (scope flagger)", auto_error=False)
FLAGGER_TOKEN = require_token_before_body(*sorted(FLAGGERS), scope="flagger")


@router.post("/reports", response_model=sc.ReportOut, status_code=201, summary="Submit one report (trusted flagger)",
             dependencies=[Depends(BEARER), Depends(FLAGGER_TOKEN)])
async def submit_report(body: sc.ReportIn, request: Request) -> sc.ReportOut:
    return (await _store_async(request, lambda: [intake.ReportInput(**body.model_dump())], "flagger"))[0]


@router.post("/reports/batch", response_model=list[sc.ReportOut], status_code=201,
             summary="Submit a batch (all or none; idempotent per client_key)", dependencies=[Depends(BEARER), Depends(FLAGGER_TOKEN)])
async def submit_batch(body: sc.BatchIn, request: Request) -> list[sc.ReportOut]:
    return await _store_async(request, lambda: [intake.ReportInput(**r.model_dump()) for r in body.reports], "flagger")


@router.post("/reports/csv", response_model=list[sc.ReportOut], status_code=201,
             summary="Import a partner hotline's CSV (header with url; client_key makes re-imports idempotent)",
             dependencies=[Depends(BEARER), Depends(FLAGGER_TOKEN)])
async def import_csv(request: Request, body: bytes = Depends(_csv_body),
                     partner: str = Query(..., description="The partner hotline's name")) -> list[sc.ReportOut]:
    return await _store_async(request, lambda: intake.parse_csv(body.decode("utf-8", errors="replace")), "partner",
                              partner)


@router.get("/queue", summary="Cases waiting for assessment (or, with the filters, any cases), most urgent first",
            responses={422: {"description": "a filter's value is not one it takes; `problems` names each"}})
def get_queue(q: str = Query("", max_length=200, description="Case number (C0000012 or 12), or part of the URL or host"),
              status: str = Query(wf.QUEUED, description="A case status, `open` (any open case) or `all`; one of: "
                                  + ", ".join(triage.STATUS_CHOICES)),
              older_than: int | None = Query(None, ge=0, le=triage.MOST_HOURS, description="Opened more than this many hours ago"),
              within: int | None = Query(None, ge=0, le=triage.MOST_HOURS, description="Opened within the last this many hours"),
              source: str = Query("", description="A report of the case came from this source: "
                                  + ", ".join(triage.SOURCE_CHOICES)),
              danger: str = Query("", description="`yes`: a report says a child may be in immediate danger; `no`: none does"),
              assigned: str = Query("", description="`me` (the caller), `nobody` or `someone`"),
              session: Session = Depends(get_session), user: User = Depends(READERS)) -> list[dict[str, Any]]:
    chosen = triage.parse({"q": q, "status": status, "older_than": None if older_than is None else str(older_than),
                           "within": None if within is None else str(within), "source": source, "danger": danger,
                           "assigned": assigned})
    return [sc.case_out(c) for c in triage.find(session, chosen, user)]


@router.get("/cases/{case_id}", summary="One case with its assessments, history and reports (reporters' contacts "
            "opened with the scope hotline:contact, else withheld)")
def get_case(case_id: int, request: Request, session: Session = Depends(get_session),
             principal: Principal = Depends(get_principal), user: User = Depends(READERS)) -> dict[str, Any]:
    case = svc.read_case(session, case_id, user)
    if principal.has_scope("hotline:contact"):
        views = contacts.reveal_for_case(session, runtime(request).contacts, case, user)
    else:  # not opened, so nothing to audit: the caller sees that there is a contact, not what it says
        views = {r.id: contacts.withheld(r) for r in case.reports}
    return {**sc.case_out(case, full=True), "reports": [sc.report_out(r, views[r.id]) for r in case.reports]}


@router.post("/cases/{case_id}/assessments", summary="Assess a case")
def assess(case_id: int, body: sc.AssessmentIn, session: Session = Depends(get_session),
           user: User = Depends(WORKERS)) -> dict[str, Any]:
    case = svc.get_case(session, case_id)
    a = svc.assess(session, case, user, **body.model_dump())
    return {"assessment": sc.assessment_out(a), "case": sc.case_out(case)}


@router.get("/qa/sample", summary="A random sample of assessments not yet reviewed (senior analysts)")
def qa_sample(size: int = Query(10, ge=1, le=200), seed: int | None = None, session: Session = Depends(get_session),
              user: User = Depends(SENIOR_READER)) -> list[dict[str, Any]]:
    return [{**sc.assessment_out(a), "case_id": a.case_id} for a in svc.qa_sample(session, size, seed)
            if a.analyst != user.username]


@router.post("/cases/{case_id}/assign", summary="Assign a case to an analyst (or unassign with null)")
def assign(case_id: int, body: sc.AssignIn, session: Session = Depends(get_session), user: User = Depends(WORKERS)) -> dict[str, Any]:
    from mamoru.auth.service import get_user

    if body.me:  # the caller takes the case (its history says so)
        taken = svc.get_case(session, case_id)
        triage.take(session, taken, user, True)
        return sc.case_out(taken)
    analyst = get_user(session, body.username) if body.username else None
    if body.username and analyst is None:
        raise HTTPException(404, f"no user {body.username!r}")
    case = svc.get_case(session, case_id)
    svc.assign(session, case, analyst, user)
    return sc.case_out(case)


@router.post("/assessments/{assessment_id}/review", summary="Quality assurance by a senior analyst")
def review(assessment_id: int, body: sc.ReviewIn, session: Session = Depends(get_session),
           user: User = Depends(SENIOR_WORKER)) -> dict[str, Any]:
    a = session.get(Assessment, assessment_id)
    if a is None:
        raise HTTPException(404, "no such assessment")
    new = svc.review(session, a, user, body.upheld, body.reason, body.new_verdict, body.legal_basis)
    return {"reviewed": sc.assessment_out(a), "new": sc.assessment_out(new) if new else None}


@router.post("/cases/{case_id}/trace", summary="Resolve the host and find network, country and provider")
def trace(case_id: int, request: Request, session: Session = Depends(get_session), user: User = Depends(WORKERS)) -> dict[str, Any]:
    case = svc.get_case(session, case_id)
    svc.apply_trace(session, case, runtime(request).resolver, user)
    return sc.case_out(case, full=True)


@router.post("/cases/{case_id}/referral", summary="Record the referral to the police")
def refer(case_id: int, body: sc.ReferralIn, session: Session = Depends(get_session), user: User = Depends(WORKERS)) -> dict[str, Any]:
    case = svc.get_case(session, case_id)
    svc.refer_to_police(session, case, user, **body.model_dump())
    return sc.case_out(case)


@router.post("/cases/{case_id}/hold", summary="Set or release a police hold (stops all automation)")
def hold(case_id: int, body: sc.HoldIn, session: Session = Depends(get_session), user: User = Depends(WORKERS)) -> dict[str, Any]:
    case = svc.get_case(session, case_id)
    svc.set_hold(session, case, user, body.hold, body.reason)
    return sc.case_out(case)


@router.post("/cases/{case_id}/forward", summary="Record forwarding to the partner hotline abroad")
def forward(case_id: int, body: sc.ForwardIn, session: Session = Depends(get_session), user: User = Depends(WORKERS)) -> dict[str, Any]:
    case = svc.get_case(session, case_id)
    svc.forward_abroad(session, case, user, body.partner, body.reference)
    return sc.case_out(case)


@router.post("/cases/{case_id}/deletion-requests", summary="Send the deletion request now")
def send_notice(case_id: int, request: Request, session: Session = Depends(get_session),
                user: User = Depends(WORKERS)) -> dict[str, Any]:
    rt = runtime(request)
    case = svc.get_case(session, case_id)
    row = notices.send_deletion_request(session, case, rt.mailer, rt.settings, user)
    return {"kind": row.kind, "to": row.to, "delivered": row.delivered, "error": row.error, "case": sc.case_out(case)}


@router.post("/cases/{case_id}/removal-checks", status_code=201,
             summary="Check the URL's removal now, as the worker does (same checker and address guards; it counts "
             "towards the two checks 12 h apart); 403 under a police hold, 409 for a case not waiting for removal "
             "or removed", responses={403: {"description": "police hold"}, 409: {"description": "not checked in this status"}})
def check_removal_now(case_id: int, request: Request, session: Session = Depends(get_session),
                      user: User = Depends(WORKERS)) -> dict[str, Any]:
    rt = runtime(request)
    case = svc.get_case(session, case_id)
    row = svc.check_removal_now(session, case, rt.checker, rt.settings.levels.check_hours, user)
    return {"check": sc.check_out(row, get_lang(request)), "case": sc.case_out(case)}


@router.post("/cases/{case_id}/removal-confirmation",
             summary="Confirm the removal of a URL that reappeared before, once two removal checks at least 12 h "
             "apart found it gone (audited); its URL entries leave the blocking list. 409 when there is nothing to confirm",
             responses={409: {"description": "nothing to confirm"}})
def confirm_removal(case_id: int, body: sc.RemovalConfirmationIn, session: Session = Depends(get_session),
                    user: User = Depends(WORKERS)) -> dict[str, Any]:
    case = svc.get_case(session, case_id)
    synced = svc.confirm_removal(session, case, user, body.note)
    return {"case": sc.case_out(case), "blocklist_entries_removed": [e.id for e in synced.removed],
            "blocklist_entries_to_review": [e.id for e in synced.to_review]}


@router.post("/cases/{case_id}/hashes", status_code=201, summary="Record a hash computed in the analyst's environment")
def add_hash(case_id: int, body: sc.HashIn, session: Session = Depends(get_session), user: User = Depends(WORKERS)) -> dict[str, Any]:
    case = svc.get_case(session, case_id)
    svc.add_hash(session, case, user, body.algorithm, body.value)
    return sc.case_out(case, full=True)


@router.post("/cases/{case_id}/blocklist-proposal", status_code=201,
             summary="Propose the URL of a case assessed as illegal for the blocking list (confirmed there by someone else); "
             "409 for a case not assessed as illegal or verified as removed",
             responses={409: {"description": "refused"}})
def propose_to_blocklist(case_id: int, request: Request, session: Session = Depends(get_session),
                         user: User = Depends(WORKERS)) -> dict[str, Any]:
    review_days = get_settings(request).domain(BlocklistSettings).review_days
    entry = to_blocklist.propose(session, user, svc.get_case(session, case_id), review_days=review_days)
    return {"blocklist_entry": entry.id}


@router.post("/cases/{case_id}/hash-bank", status_code=201, summary="Add the case's hashes to the hotline's hash bank")
def send_hashes(case_id: int, session: Session = Depends(get_session), user: User = Depends(WORKERS)) -> dict[str, Any]:
    return {"added": to_banks.send_hashes_to_bank(session, svc.get_case(session, case_id), user)}


@router.get("/cases/{case_id}/referral.json", summary="Referral record (no content, no reporter contact)")
def referral_json(case_id: int, session: Session = Depends(get_session), user: User = Depends(READERS)) -> dict[str, Any]:
    return export.referral_record(session, svc.read_case(session, case_id, user))


@router.get("/cases/{case_id}/referral.pdf", summary="Referral record as PDF")
def referral_pdf(case_id: int, request: Request, session: Session = Depends(get_session),
                 user: User = Depends(READERS)) -> Response:
    """A document for people, in the reader's language (?lang=, else the browser's)."""
    case = svc.read_case(session, case_id, user)
    return Response(export.referral_pdf(session, case, get_lang(request)), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{case.number}-referral.pdf"'})


@router.get("/providers", summary="The provider directory")
def list_providers(session: Session = Depends(get_session), user: User = Depends(READERS)) -> list[dict[str, Any]]:
    return [{"id": p.id, "name": p.name, "abuse_email": p.abuse_email, "language": p.language, "country": p.country,
             "networks": p.networks, "domains": p.domains} for p in svc.providers(session)]


@router.post("/providers", status_code=201, summary="Add or update a provider")
def save_provider(body: sc.ProviderIn, session: Session = Depends(get_session), user: User = Depends(WORKERS)) -> dict[str, Any]:
    p = svc.add_provider(session, user, **body.model_dump())
    return {"id": p.id, "name": p.name}


@router.get("/labels", summary="Assessment labels (severity, age band), retired ones included")
def list_labels(kind: str | None = Query(None, pattern="^(severity|age_band)$"), session: Session = Depends(get_session),
                user: User = Depends(READERS)) -> list[dict[str, Any]]:
    return [labels.label_out(lb) for lb in labels.all_labels(session, kind)]


@router.put("/labels/{kind}/{code}", summary="Add or change an assessment label (senior analysts; audited)")
def save_label(kind: str, code: str, body: sc.LabelIn, session: Session = Depends(get_session),
               user: User = Depends(SENIOR_WORKER)) -> dict[str, Any]:
    return labels.label_out(labels.save_label(session, user, kind, code, labels.LabelChange(**body.model_dump())))


@router.get("/figures", summary="Counts, times and rates per fiscal year or month")
def get_figures(by: str = Query("fy", pattern="^(fy|month)$"), session: Session = Depends(get_session),
                user: User = Depends(FIGURE_READERS)) -> list[dict[str, Any]]:
    return figures.compute(session, by)
