"""Pages of the blocking list for hotline staff: the list, proposing and confirming an entry,
entries due for review (re-verify or remove), site owners' appeals (record, decide), and publishing
(what will be published, confirmed by a senior analyst or administrator; each publication's files).

Each handler is one call of `mamoru.blocklist.service`; a refused action shows the page again with
the reason in the reader's language (a refused confirmation is kept in the audit log)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.blocklist import publishing, service
from mamoru.blocklist.models import BlocklistArtifact
from mamoru.blocklist.settings import BlocklistSettings
from mamoru.errors import DomainError, InvalidInput, PermissionDenied
from mamoru.i18n import error_messages
from mamoru.web.blocklist import feed, words
from mamoru.web.deps import get_lang, get_session, get_settings, require_roles
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)
EDITORS = tuple(sorted(service.EDITOR_ROLES))
READERS = (*EDITORS, roles.AUDITOR)
PUBLISHERS = tuple(sorted(service.DECIDER_ROLES))  # as POST /api/v1/blocklist/publications


@router.get("/blocklist", response_class=HTMLResponse)
def list_page(request: Request, session: Session = Depends(get_session),
              user: User = Depends(require_roles(*READERS))) -> Response:
    return render(request, "pages/blocklist/list.html", {
        "version": service.current_version(session), "publication": publishing.latest_publication(session),
        "proposed": service.entries(session, "proposed"), "active": service.entries(session, "active"),
        "can_edit": user.role in service.EDITOR_ROLES, "can_publish": user.role in service.DECIDER_ROLES,
        **_words(request)})


def _words(request: Request) -> dict[str, Callable[[str], str]]:
    """The entry's category and reasons in the page's language (web.blocklist.words)."""
    lang = get_lang(request)
    return {"category_label": lambda code: words.category(lang, code),
            "reason_text": lambda text: words.reason(lang, text)}


def _form(request: Request, problems: list[str], values: dict[str, object], status: int = 200) -> Response:
    return render(request, "pages/blocklist/propose.html", {"problems": problems, "values": values,
                                                            "criteria": service.CRITERIA_TEXT}, status_code=status)


@router.get("/blocklist/propose", response_class=HTMLResponse)
def propose_page(request: Request, user: User = Depends(require_roles(*EDITORS))) -> Response:
    return _form(request, [], {"kind": "url"})


@router.post("/blocklist/propose", response_class=HTMLResponse)
def propose_submit(request: Request, kind: str = Form(...), value: str = Form(...), reason: str = Form(""),
                   case_ref: str = Form(""), category: str = Form(service.DEFAULT_CATEGORY),
                   criteria: list[str] = Form([]), session: Session = Depends(get_session),
                   user: User = Depends(require_roles(*EDITORS))) -> Response:
    """A plain function (FastAPI runs it in a worker thread): its database work never holds the event loop."""
    cfg = get_settings(request).domain(BlocklistSettings)
    try:
        e = service.propose(session, user, kind, value, reason, criteria=criteria, category=category,
                            case_ref=case_ref, review_days=cfg.review_days)
    except DomainError as exc:
        session.rollback()
        problems = error_messages(get_lang(request), exc)
        return _form(request, problems, {"kind": kind, "value": value, "reason": reason, "case_ref": case_ref,
                                         "category": category, "criteria": criteria}, status=422)
    return RedirectResponse(f"/blocklist/entries/{e.id}", status_code=303)


REFUSALS = {  # four_eyes_refusal's reasons, as keys of the Japanese catalogue
    "you proposed this entry": "You proposed this entry: a second, different person must confirm it.",
    "your account was created by the proposer": "Your account was created by the proposer: a person independent "
                                                "of the proposer must confirm it.",
    "the proposer's account was created by you": "The proposer's account was created by you: a person independent "
                                                 "of the proposer must confirm it.",
}


def _refusal_text(refusal: str | None) -> str | None:
    if refusal is None:
        return None
    return next((text for start, text in REFUSALS.items() if refusal.startswith(start)), refusal)


def _entry(request: Request, session: Session, user: User, entry_id: int, refusal: str | None = None,
           problems: list[str] | None = None, status: int = 200) -> Response:
    e = service.get_entry(session, entry_id)
    if refusal is None and e.status == "proposed":
        refusal = service.four_eyes_refusal(e.proposed_by, user)
    can_confirm = e.status == "proposed" and user.role in service.EDITOR_ROLES and refusal is None
    return render(request, "pages/blocklist/entry.html", {
        "e": e, "can_confirm": can_confirm, "refusal": _refusal_text(refusal), "problems": problems or [],
        "can_edit": user.role in service.EDITOR_ROLES, "appeals": service.appeals(session, entry_id=e.id),
        **_words(request)},
        status_code=status)


@router.get("/blocklist/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(entry_id: int, request: Request, session: Session = Depends(get_session),
               user: User = Depends(require_roles(*READERS))) -> Response:
    return _entry(request, session, user, entry_id)


@router.post("/blocklist/entries/{entry_id}/confirm", response_class=HTMLResponse)
def confirm_submit(entry_id: int, request: Request, session: Session = Depends(get_session),
                   user: User = Depends(require_roles(*EDITORS))) -> Response:
    try:
        service.confirm(session, user, entry_id)
    except PermissionDenied as exc:
        session.commit()  # the refusal stays in the audit log
        return _entry(request, session, user, entry_id, refusal=str(exc).split(": ", 1)[-1], status=403)
    return RedirectResponse(f"/blocklist/entries/{entry_id}", status_code=303)


def _act(request: Request, session: Session, user: User, entry_id: int, back: str,
         action: Callable[[], object]) -> Response:
    """Run a service call; on a refusal show the entry page with the reason, else go back."""
    try:
        action()
    except DomainError as exc:
        session.rollback()
        problems = error_messages(get_lang(request), exc)
        return _entry(request, session, user, entry_id, problems=problems, status=exc.status)
    return RedirectResponse(back, status_code=303)


@router.post("/blocklist/entries/{entry_id}/reverify", response_class=HTMLResponse)
def reverify_submit(entry_id: int, request: Request, next_review: str = Form(...), back: str = Form(""),
                    session: Session = Depends(get_session), user: User = Depends(require_roles(*EDITORS))) -> Response:
    def run() -> None:
        try:
            day = date.fromisoformat(next_review)
        except ValueError:
            raise InvalidInput("next review: give a date (YYYY-MM-DD)") from None
        service.reverify(session, user, entry_id, day)
    return _act(request, session, user, entry_id, _back(back, entry_id), run)


@router.post("/blocklist/entries/{entry_id}/remove", response_class=HTMLResponse)
def remove_submit(entry_id: int, request: Request, reason: str = Form(""), content_removed: str = Form(""),
                  back: str = Form(""), session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*EDITORS))) -> Response:
    def run() -> None:
        if content_removed:
            service.content_removed(session, user, entry_id)
        else:
            service.remove(session, user, entry_id, reason)
    return _act(request, session, user, entry_id, _back(back, entry_id), run)


def _back(back: str, entry_id: int) -> str:
    return back if back in ("/blocklist/review", "/blocklist/appeals") else f"/blocklist/entries/{entry_id}"


@router.get("/blocklist/review", response_class=HTMLResponse)
def review_page(request: Request, days: int = 14, session: Session = Depends(get_session),
                user: User = Depends(require_roles(*READERS))) -> Response:
    today = date.today()
    due = service.review_due(session, today + timedelta(days=max(0, min(days, 365))))
    return render(request, "pages/blocklist/review.html", {
        "due": due, "today": today, "days": days, "can_edit": user.role in service.EDITOR_ROLES,
        "default_next": (today + timedelta(days=get_settings(request).domain(
            BlocklistSettings).review_days)).isoformat()})


def _appeals(request: Request, session: Session, user: User, problems: list[str] | None = None,
             values: dict[str, str] | None = None, status: int = 200) -> Response:
    return render(request, "pages/blocklist/appeals.html", {
        "pending": service.appeals(session, "pending"),
        "decided": [a for a in service.appeals(session) if a.status != "pending"][-50:][::-1],
        "can_record": user.role in service.EDITOR_ROLES, "can_decide": user.role in service.DECIDER_ROLES,
        "problems": problems or [], "values": values or {}}, status_code=status)


@router.get("/blocklist/appeals", response_class=HTMLResponse)
def appeals_page(request: Request, entry: str = "", session: Session = Depends(get_session),
                 user: User = Depends(require_roles(*READERS))) -> Response:
    return _appeals(request, session, user, values={"entry_id": entry})


@router.post("/blocklist/appeals", response_class=HTMLResponse)
def appeal_submit(request: Request, entry_id: str = Form(""), appellant: str = Form(""), grounds: str = Form(""),
                  session: Session = Depends(get_session), user: User = Depends(require_roles(*EDITORS))) -> Response:
    try:
        if not entry_id.strip().isdigit():
            raise InvalidInput("entry: give the number of the entry appealed against")
        service.record_appeal(session, user, int(entry_id), appellant, grounds)
    except DomainError as exc:
        session.rollback()
        problems = error_messages(get_lang(request), exc)
        return _appeals(request, session, user, problems,
                        {"entry_id": entry_id, "appellant": appellant, "grounds": grounds}, status=exc.status)
    return RedirectResponse("/blocklist/appeals", status_code=303)


@router.post("/blocklist/appeals/{appeal_id}/decide", response_class=HTMLResponse)
def decide_submit(appeal_id: int, request: Request, decision: str = Form(...), reason: str = Form(""),
                  session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*sorted(service.DECIDER_ROLES)))) -> Response:
    try:
        service.decide_appeal(session, user, appeal_id, decision == "uphold", reason)
    except DomainError as exc:
        session.rollback()
        problems = error_messages(get_lang(request), exc)
        return _appeals(request, session, user, [f"#{appeal_id}: {p}" for p in problems], status=exc.status)
    return RedirectResponse("/blocklist/appeals", status_code=303)


def _publish_form(request: Request, session: Session, problems: list[str] | None = None,
                  status: int = 200) -> Response:
    cfg = get_settings(request).domain(BlocklistSettings)
    return render(request, "pages/blocklist/publish.html", {
        "p": publishing.pending(session, cfg), "key_path": str(cfg.key_path), "problems": problems or []},
        status_code=status)


@router.get("/blocklist/publish", response_class=HTMLResponse)
def publish_page(request: Request, session: Session = Depends(get_session),
                 user: User = Depends(require_roles(*PUBLISHERS))) -> Response:
    return _publish_form(request, session)


@router.post("/blocklist/publish", response_class=HTMLResponse)
def publish_submit(request: Request, version: str = Form(""), confirm: str = Form(""),
                   session: Session = Depends(get_session), user: User = Depends(require_roles(*PUBLISHERS))) -> Response:
    cfg = get_settings(request).domain(BlocklistSettings)
    try:
        if confirm != "yes":
            raise InvalidInput("tick the box to confirm what will be published")
        pub = publishing.publish(session, user, cfg, expect=int(version) if version.isdigit() else None)
    except DomainError as exc:  # nothing changed, the list changed meanwhile, no signing key
        session.rollback()
        return _publish_form(request, session, error_messages(get_lang(request), exc), status=exc.status)
    return RedirectResponse(f"/blocklist/publications/{pub.version}", status_code=303)


@router.get("/blocklist/publications/{version}", response_class=HTMLResponse)
def publication_page(version: int, request: Request, session: Session = Depends(get_session),
                     user: User = Depends(require_roles(*READERS))) -> Response:
    pub = publishing.publication(session, version)
    files = [{"name": publishing.file_name(f), "art": f, "href": _feed_href(f), "signature_href": _feed_href(f, True)}
             for f in publishing.files_of(session, pub)]
    return render(request, "pages/blocklist/publication.html", {
        "pub": pub, "files": files, "can_publish": user.role in service.DECIDER_ROLES})


def _feed_href(art: BlocklistArtifact, signature: bool = False) -> str:
    """Where subscribers fetch a published file (or its signature) on the feed, for this version."""
    tail = "/signature" if signature else ""
    if art.kind == "delta":
        return f"{feed.router.prefix}/deltas/{art.from_version}/{art.version}{tail}"
    return f"{feed.router.prefix}/snapshots/{art.format}{tail}?version={art.version}"
