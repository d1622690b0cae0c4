"""The hash banks' JSON API for hotline staff: list, create, import, export, entries, platforms' choices.

The same operations as `mamoru bank` and the banks page, each one call of `mamoru.matching.service`,
so the rules are the same at every door: an import is checked whole and refused with every bad
line's number and reason (nothing stored), entries are disabled (with a reason) rather than deleted,
and every change is audited; an export or an entry's hash is audited as a read. Tokens need the
`banks` scope. Analysts, senior analysts, administrators and auditors read; senior analysts and
administrators create banks, import and disable or enable entries (analysts add their cases' hashes
through the case); administrators choose a platform's banks. Platforms match through
`/api/v1/match` and never reach this.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mamoru import audit
from mamoru.auth import service as auth_service
from mamoru.auth.models import User
from mamoru.errors import NotFound
from mamoru.matching import service
from mamoru.matching.schemas import (
    EXPORT_MEDIA_TYPES,
    BankEntryOut,
    BankImportOut,
    EntryDisableIn,
    HashBankIn,
    HashBankOut,
    ImportFormat,
    PlatformBanksIn,
    PlatformBanksOut,
    Signal,
)
from mamoru.web.deps import get_session, require_roles
from mamoru.web.limits import read_upload

router = APIRouter(prefix="/api/v1/banks", tags=["banks"])
READERS = require_roles(*sorted(service.BANK_READERS), scope="banks")
EDITORS = require_roles(*sorted(service.BANK_EDITORS), scope="banks")
CHOOSERS = require_roles(*sorted(service.PLATFORM_CHOOSERS), scope="banks")
_TEXT: dict[str, Any] = {"schema": {"type": "string"}}
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "The bank in the chosen format (csv also lists disabled entries, marked)",
    "content": {"text/csv": _TEXT, "text/plain": _TEXT, "application/json": {"schema": {"type": "object"}}}}}


def _entry_out(session: Session, entry_id: int) -> BankEntryOut:
    e = service.get_entry(session, entry_id)
    return BankEntryOut.of(e, service.usernames(session, [e.added_by_id, e.disabled_by_id]))


@router.get("", summary="Every bank with its number of live entries")
def list_banks(session: Session = Depends(get_session), user: User = Depends(READERS)) -> list[HashBankOut]:
    return [HashBankOut.of(b, n) for b, n in service.list_banks(session)]


@router.post("", status_code=201, summary="Create an empty bank (409 when the name is taken)")
def create_bank(body: HashBankIn, session: Session = Depends(get_session),
                user: User = Depends(EDITORS)) -> HashBankOut:
    bank = service.create_bank(session, body.name, user, body.description, body.owner_organisation, body.source)
    return HashBankOut.of(bank, 0)


@router.post("/{name}/import", status_code=201,
             summary="Import a hash file, all or nothing: 422 names every bad line; 413 over 5 MB")
async def import_file(name: str, file: UploadFile = File(..., description="The hash file (at most 5 MB)."),
                      fmt: ImportFormat = Form(..., alias="format", description="lines, csv, te or vic."),
                      signal: Signal = Form("pdq", description="Signal type of a lines file."),
                      session: Session = Depends(get_session), user: User = Depends(EDITORS)) -> BankImportOut:
    data = await read_upload(file)

    def run() -> BankImportOut:
        result = service.import_file(session, name, data, fmt, signal, user)
        return BankImportOut(bank=name, imported=result.imported, already=result.already,
                             version=service.current_version(session))

    # parsed and stored in a worker thread: 75,000 hashes take seconds, and on the event loop they
    # held every other request of the process for as long (tests/reliability/test_bank_import_answers_others.py)
    return await run_in_threadpool(run)


@router.get("/{name}/export", response_class=Response, responses=EXPORT_RESPONSES,
            summary="Export a bank (audited as a read); only csv lists disabled entries")
def export_bank(name: str, fmt: ImportFormat = Query("csv", alias="format"),
                signal: Signal | None = Query(None, description="Only this signal type."),
                session: Session = Depends(get_session), user: User = Depends(READERS)) -> Response:
    bank = service.get_bank(session, name)
    text = service.export_bank(session, name, fmt, signal)
    audit.record_read(session, user, "match:bank:export", f"hash_bank:{name}", {"format": fmt})
    extension = {"lines": "txt", "te": "txt", "vic": "json"}.get(fmt, fmt)
    return Response(text, media_type=EXPORT_MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="bank-{bank.id}.{extension}"'})


@router.get("/entries/{entry_id}", summary="One entry, with who added or disabled it (audited as a read)")
def get_entry(entry_id: int, session: Session = Depends(get_session), user: User = Depends(READERS)) -> BankEntryOut:
    out = _entry_out(session, entry_id)
    audit.record_read(session, user, "match:entry", f"hash_bank_entry:{entry_id}")
    return out


@router.post("/entries/{entry_id}/disable", summary="Stop matching an entry (kept; the reason is audited)")
def disable_entry(entry_id: int, body: EntryDisableIn, session: Session = Depends(get_session),
                  user: User = Depends(EDITORS)) -> BankEntryOut:
    service.set_entry_disabled(session, entry_id, True, user, body.reason)
    return _entry_out(session, entry_id)


@router.post("/entries/{entry_id}/enable", summary="Match a disabled entry again")
def enable_entry(entry_id: int, session: Session = Depends(get_session),
                 user: User = Depends(EDITORS)) -> BankEntryOut:
    service.set_entry_disabled(session, entry_id, False, user)
    return _entry_out(session, entry_id)


@router.put("/platforms/{username}", summary="Set which banks a platform account matches (replaces its choice)")
def choose_banks(username: str, body: PlatformBanksIn, session: Session = Depends(get_session),
                 user: User = Depends(CHOOSERS)) -> PlatformBanksOut:
    platform = auth_service.get_user(session, username)
    if platform is None:
        raise NotFound("no user {username!r}", username=username)
    chosen = service.choose_banks(session, platform, body.banks, body.show_labels, user)
    return PlatformBanksOut(platform=platform.username, banks=[p.bank.name for p in chosen],
                            show_labels=body.show_labels)
