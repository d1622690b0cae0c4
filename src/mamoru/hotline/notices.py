"""Deletion requests and alerts: composed from Japanese and English templates, sent through a Mailer.

A deletion request goes to the provider's abuse contact in the provider's language; it is re-sent
every MAMORU_HOTLINE_RESEND_HOURS until removal is verified, and after
MAMORU_HOTLINE_ESCALATE_DAYS the case is escalated (a stronger request, and a note to the
hotline's escalation contact). Mail holds the URL and the assessment, never content.
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import Conflict, InvalidInput, PermissionDenied, Problem, Term
from mamoru.hotline import vocabulary
from mamoru.hotline import workflow as wf
from mamoru.hotline.addresses import address_problem
from mamoru.hotline.models import CaseEvent, DeletionRequest, HotlineCase, Provider
from mamoru.hotline.settings import HotlineSettings
from mamoru.i18n import fmt_time_jst
from mamoru.mail import Mailer, OutgoingMail, new_message_id
from mamoru.periods import japan_date
from mamoru.plan.models import DefinitionTerm

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=False,
                        undefined=StrictUndefined, keep_trailing_newline=True)


def render_mail(name: str, to: str, **context: object) -> OutgoingMail:
    text = TEMPLATES.get_template(name).render(**context)
    subject, _, body = text.partition("\n")
    return OutgoingMail(to=to, subject=subject.strip(), body=body.lstrip("\n"))


def _legal_basis_text(session: Session, case: HotlineCase, lang: str) -> str:
    code = case.assessments[-1].legal_basis if case.assessments else None
    term = session.scalars(select(DefinitionTerm).where(DefinitionTerm.code == code)).first() if code else None
    if term is None:
        return code or ""
    return (term.title_ja if lang == "ja" else term.title_en) or term.title_en


def compose_deletion_request(session: Session, case: HotlineCase, provider: Provider, kind: str,
                             hs: HotlineSettings, removed_at: datetime | None = None) -> OutgoingMail:
    """`removed_at`: for a request sent again because the content reappeared, when it had been removed."""
    lang = provider.language if provider.language in ("ja", "en") else "en"
    first = case.first_notice_at
    assessed = case.assessments[-1].at if case.assessments else None
    return render_mail(f"deletion_request.{lang}.txt", provider.abuse_email, case_number=case.number, url=case.url,
                       provider_name=provider.name, kind=kind, legal_basis=_legal_basis_text(session, case, lang),
                       assessed_on=f"{japan_date(assessed):%Y-%m-%d}" if assessed else "",
                       first_sent=fmt_time_jst(first), removed_on=fmt_time_jst(removed_at),
                       sender_name=hs.sender_name)


def _reappeared_since_last_request(session: Session, case: HotlineCase) -> CaseEvent | None:
    """The case's last reappearance when no request was delivered after it: the next one says so."""
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == wf.REAPPEARED)
                            .order_by(CaseEvent.id.desc()).limit(1)).first()
    if event is None:
        return None
    later = session.scalar(select(func.count()).select_from(DeletionRequest).where(
        DeletionRequest.case_id == case.id, DeletionRequest.delivered, DeletionRequest.at >= event.at)) or 0
    return None if later else event


def send_deletion_request(session: Session, case: HotlineCase, mailer: Mailer, hs: HotlineSettings,
                          actor: User | None = None, now: datetime | None = None) -> DeletionRequest:
    """Send (or re-send) the deletion request now. Refused while the police hold the case."""
    now = now or utcnow()
    if case.police_hold:
        raise PermissionDenied("the police asked to hold this case: no deletion request is sent")
    if case.status not in (wf.NOTICE_PENDING, wf.REMOVAL_PENDING):
        raise Conflict("a case that is {status} gets no deletion request (refer it to the police first)",
                       status=Term(case.status, vocabulary.STATUS.get(case.status)))
    provider = case.provider
    if provider is None:
        raise InvalidInput("no provider with an abuse contact is known for this case: trace it or choose a provider")
    bad_address = address_problem(provider.abuse_email)
    if bad_address is not None:  # stored before addresses were checked at entry: never put into a header
        raise InvalidInput([Problem.of(None, "abuse_email", "the abuse contact of provider {provider!r} cannot be "
                                       "written to ({reason}); correct it in the provider directory",
                                       provider=provider.name, reason=Term(bad_address))])
    sent_before = session.scalar(select(func.count()).select_from(DeletionRequest).where(
        DeletionRequest.case_id == case.id, DeletionRequest.delivered)) or 0
    escalate = wf.should_escalate(case.first_notice_at, case.escalated_at is not None, now, hs.levels)
    back = _reappeared_since_last_request(session, case) if sent_before else None
    kind = "initial" if sent_before == 0 else ("reappeared" if back else "escalation" if escalate else "resend")
    removed = back.detail.get("removed_at") if back else None
    mail = compose_deletion_request(session, case, provider, kind, hs,
                                    datetime.fromisoformat(removed) if isinstance(removed, str) else None)
    first_id = session.scalars(select(DeletionRequest.message_id).where(
        DeletionRequest.case_id == case.id, DeletionRequest.delivered).order_by(DeletionRequest.id).limit(1)).first()
    mail = OutgoingMail(mail.to, mail.subject, mail.body, message_id=new_message_id(), in_reply_to=first_id or "")
    row = DeletionRequest(case_id=case.id, at=now, kind=kind, to=mail.to, language=provider.language,
                          message_id=mail.message_id)
    try:
        mailer.send(mail)
        row.delivered = True
    except (OSError, smtplib.SMTPException) as exc:
        row.error = f"{type(exc).__name__}: {exc}"[:500]
        row.error_reason, params = mail_error_reason(exc, mail.to)
        row.error_params = {k: v[:300] for k, v in params.items()}
    session.add(row)
    if row.delivered:
        case.first_notice_at = case.first_notice_at or now
        case.next_notice_at = now + timedelta(hours=hs.levels.resend_hours)
        if case.next_check_at is None:
            case.next_check_at = now
        if kind == "escalation":
            case.escalated_at = now
            _notify_escalation(session, case, provider, mailer, hs, sent_before + 1, now)
        from mamoru.hotline.service import _move  # one place moves cases

        _move(session, case, wf.NOTICE_SENT, actor or "system", now, {"kind": kind, "to": mail.to})
    else:
        case.next_notice_at = now + timedelta(hours=1)  # try again soon
        audit.record(session, actor, "hotline:notice:failed", f"hotline:case:{case.id}", {"error": row.error})
    session.flush()
    return row


def mail_error_reason(exc: Exception, to: str) -> tuple[str, dict[str, str]]:
    """The code of vocabulary.MAIL_ERROR for a failed send, with its values."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient_refused", {"to": to}
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "sender_refused", {}
    if isinstance(exc, smtplib.SMTPResponseException):
        words = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return "smtp_error", {"code": str(exc.smtp_code), "error": words}
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused", {}
    if isinstance(exc, TimeoutError):
        return "timeout", {}
    return "failed", {"error": f"{type(exc).__name__}: {exc}"}


def _notify_escalation(session: Session, case: HotlineCase, provider: Provider, mailer: Mailer, hs: HotlineSettings,
                       sent: int, now: datetime) -> None:
    if not hs.escalation_email:
        return
    first = case.first_notice_at
    mail = render_mail("escalation.txt", hs.escalation_email, case_number=case.number, url=case.url,
                       days=hs.levels.escalate_days, first_sent=fmt_time_jst(first), sent=sent,
                       provider_name=provider.name, abuse_to=provider.abuse_email)
    try:
        mailer.send(mail)
    except (OSError, smtplib.SMTPException):
        return
    session.add(CaseEvent(case_id=case.id, at=now, kind="escalation_notified", detail={"to": hs.escalation_email}))


def alert_police(session: Session, case: HotlineCase, mailer: Mailer, hs: HotlineSettings, now: datetime | None = None) -> bool:
    """A child possibly in immediate danger: tell the police contact at once (retried by the worker)."""
    now = now or utcnow()
    if case.police_alerted_at is not None or not case.immediate_danger or not hs.police_email:
        return False
    first = case.reports[0].received_at if case.reports else case.opened_at
    mail = render_mail("police_alert.txt", hs.police_email, case_number=case.number, url=case.url,
                       received=fmt_time_jst(first), report_count=case.report_count,
                       descriptions=[r.description.strip() for r in case.reports if r.description.strip()])
    try:
        mailer.send(mail)
    except (OSError, smtplib.SMTPException):
        return False
    case.police_alerted_at = now
    session.add(CaseEvent(case_id=case.id, at=now, kind="police_alerted", detail={"to": hs.police_email}))
    audit.record(session, None, "hotline:case:police-alert", f"hotline:case:{case.id}", {"to": hs.police_email})
    return True
