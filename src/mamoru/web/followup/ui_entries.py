"""Pages of one entry of a round: the agency's form (drafts, submission), the plan office's review
(return with a comment, accept), differences between versions, and the configurable status list."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import BadValue, InvalidInput, PermissionDenied, Problem
from mamoru.followup import entries as esvc
from mamoru.followup import rounds as rsvc
from mamoru.followup import workflow
from mamoru.followup.models import RoundEntry
from mamoru.i18n import problem_text
from mamoru.mail import Mailer
from mamoru.web import forms
from mamoru.web.deps import get_lang, get_mailer, get_session, require_roles
from mamoru.web.followup.ui_rounds import CSS, STAFF
from mamoru.web.templating import render

router = APIRouter(include_in_schema=False)


def _entry_ctx(session: Session, entry: RoundEntry, user: User, problems: Sequence[object]) -> dict[str, object]:
    return {"e": entry, "statuses": [s for s in rsvc.ensure_statuses(session) if s.active], "problems": problems,
            "can_edit": entry.state in workflow.EDITABLE_STATES and entry.round.state == "open"
            and (user.role == roles.COORDINATOR or esvc.own_agency(user, entry)),
            "is_office": user.role == roles.COORDINATOR, "label": rsvc.round_label,
            "figures_text": workflow.format_figures(entry.figures or []),
            "evidence_text": workflow.format_evidence(entry.evidence or []), "css": CSS}


DONE = ("saved", "submitted", "accepted", "returned")
"""What the last step on the entry did (?done=), said at the top of the page it comes back to."""


@router.get("/followup/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(entry_id: int, request: Request, done: str = "", session: Session = Depends(get_session),
               user: User = Depends(require_roles(*STAFF))) -> Response:
    e = esvc.get_entry(session, entry_id)
    if not esvc.can_view(user, e):
        raise PermissionDenied("this entry belongs to another agency")
    return render(request, "pages/followup/entry.html",
                  {**_entry_ctx(session, e, user, []), "done": done if done in DONE else ""})


def _said(request: Request, problems: forms.Problems) -> list[str]:
    """The refused values in the reader's language (a Problem's str() is the API's English)."""
    lang = get_lang(request)
    return [problem_text(lang, p) if isinstance(p, Problem) else str(p) for p in problems]


@router.post("/followup/entries/{entry_id}", response_class=HTMLResponse)
def entry_save(entry_id: int, request: Request, action: str = Form("save"), status: str = Form(""),
               narrative_ja: str = Form(""), narrative_en: str = Form(""), figures: str = Form(""),
               evidence: str = Form(""), session: Session = Depends(get_session),
               mail: Mailer = Depends(get_mailer),
               user: User = Depends(require_roles(roles.COORDINATOR, roles.AGENCY_OFFICER))) -> Response:
    e = esvc.get_entry(session, entry_id)

    def save() -> None:
        try:
            parsed = workflow.parse_figures(figures)
        except BadValue as exc:  # said in the reader's language, next to the field
            raise InvalidInput([Problem.because(None, "figures", exc)]) from None
        content = workflow.Content(status or None, narrative_en, narrative_ja, parsed, workflow.parse_evidence(evidence))
        esvc.save_entry(session, e, user, content, mail, submit=(action == "submit"))

    def again(problems: forms.Problems, _: int) -> Response:
        ctx = _entry_ctx(session, esvc.get_entry(session, entry_id), user, _said(request, problems))
        ctx.update(figures_text=figures, evidence_text=evidence)
        return render(request, "pages/followup/entry.html", ctx, status_code=422)

    said = "submitted" if action == "submit" else "saved"
    return forms.submit(session, save, done=f"/followup/entries/{entry_id}?done={said}", again=again,
                        refusals=(InvalidInput, ValueError))


@router.post("/followup/entries/{entry_id}/review", response_class=HTMLResponse)
def entry_review(entry_id: int, request: Request, decision: str = Form(...), comment: str = Form(""),
                 session: Session = Depends(get_session), mail: Mailer = Depends(get_mailer),
                 user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    e = esvc.get_entry(session, entry_id)

    def review() -> None:
        if decision == "accept":
            esvc.accept_entry(session, e, user, mail, comment)
        else:
            esvc.return_entry(session, e, user, comment, mail)

    return forms.submit(
        session, review, done=f"/followup/entries/{entry_id}?done={'accepted' if decision == 'accept' else 'returned'}",
        refusals=(InvalidInput,),
        again=lambda problems, _: render(request, "pages/followup/entry.html",
                                         _entry_ctx(session, esvc.get_entry(session, entry_id), user,
                                                    _said(request, problems)),
                                         status_code=422))


@router.get("/followup/entries/{entry_id}/diff", response_class=HTMLResponse)
def entry_diff(entry_id: int, request: Request, a: int, b: int, session: Session = Depends(get_session),
               user: User = Depends(require_roles(*STAFF))) -> Response:
    e = esvc.get_entry(session, entry_id)
    if not esvc.can_view(user, e):
        raise PermissionDenied("this entry belongs to another agency")
    statuses = {s.key: s for s in rsvc.ensure_statuses(session)}  # a status is shown by its label, not its key
    return render(request, "pages/followup/diff.html", {"e": e, "a": a, "b": b, "changes": esvc.version_diff(e, a, b),
                                                        "statuses": statuses, "css": CSS})


@router.get("/followup/statuses", response_class=HTMLResponse)
def statuses_page(request: Request, session: Session = Depends(get_session),
                  user: User = Depends(require_roles(*STAFF))) -> Response:
    return render(request, "pages/followup/statuses.html", {"statuses": rsvc.ensure_statuses(session),
                                                            "problems": [], "css": CSS})


@router.post("/followup/statuses", response_class=HTMLResponse)
def statuses_set(request: Request, key: str = Form(""), label_en: str = Form(""), label_ja: str = Form(""),
                 progress: int = Form(...), implemented: str = Form(""), active: str = Form(""),
                 session: Session = Depends(get_session),
                 user: User = Depends(require_roles(roles.COORDINATOR))) -> Response:
    # unticked checkboxes are not sent: "In use" left unticked takes the status out of use
    try:
        rsvc.set_status(session, user, key.strip(), label_en, label_ja, progress, bool(implemented), bool(active))
    except InvalidInput as exc:
        session.rollback()
        return render(request, "pages/followup/statuses.html", {"statuses": rsvc.ensure_statuses(session),
                                                                "problems": exc.problems, "css": CSS}, status_code=422)
    session.commit()  # before the redirect: the next GET must see it
    return RedirectResponse("/followup/statuses", status_code=303)

