"""Reminder mails to agency officers about a round's due date, sent by the background worker.

Each officer with entries still to submit (draft or returned) in an open round gets at most one
mail of each kind per round: `before_due` once the due date is `days` days away or nearer, and
`overdue` once it has passed. The fu_round_reminders row is written in the same transaction as
the mail is sent, under a unique key (round, officer, kind): a worker that restarts, runs every
minute or runs twice at once never sends a kind twice, and a mail that fails is tried again next
round. Each mail is written in its officer's language (users.preferred_lang: ja or en), with dates
in Japan time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.followup.models import ReportingRound, RoundEntry, RoundReminder
from mamoru.followup.rounds import round_label
from mamoru.i18n import fmt_date, fmt_time_jst, gettext
from mamoru.mail import Mailer, OutgoingMail, deliver
from mamoru.periods import japan_date
from mamoru.plan.models import Agency

OPEN_STATES = ("draft", "returned")


@dataclass
class ReminderRound:
    """What one pass sent: mails by kind, and those that failed (tried again next pass)."""

    sent: dict[str, int] = field(default_factory=lambda: {"before_due": 0, "overdue": 0})
    failed: int = 0

    def line(self) -> str:
        return (f"reminders sent: {self.sent['before_due']} before the due date, {self.sent['overdue']} overdue"
                + (f", {self.failed} failed" if self.failed else ""))


def kind_on(due_on: date, today: date, days: int) -> str | None:
    """Which reminder is due on `today` for entries due on `due_on` (None: none yet)."""
    if due_on < today:
        return "overdue"
    if days > 0 and (due_on - today).days <= days:
        return "before_due"
    return None


def _open_by_agency(session: Session, r: ReportingRound) -> dict[str, tuple[date, int]]:
    """Agency code -> (earliest due date, number) of its entries still to submit in the round."""
    stmt = (select(Agency.code, func.min(RoundEntry.due_on), func.count()).select_from(RoundEntry)
            .join(Agency, RoundEntry.agency_id == Agency.id)
            .where(RoundEntry.round_id == r.id, RoundEntry.state.in_(OPEN_STATES)).group_by(Agency.code))
    return {code: (due, int(n)) for code, due, n in session.execute(stmt)}


@dataclass(frozen=True)
class Officer:
    """What a reminder needs of an agency officer's account: the columns of users the office worker's
    database user may read (mamoru.separation REMINDER_JOB), never a password hash."""

    username: str
    email: str
    agency_code: str
    preferred_lang: str


def _officers(session: Session, codes: set[str]) -> dict[str, list[Officer]]:
    stmt = (select(User.username, User.email, User.agency_code, User.preferred_lang)
            .where(User.role == roles.AGENCY_OFFICER, User.active.is_(True), User.email != "",
                   User.agency_code.in_(codes)).order_by(User.username))
    out: dict[str, list[Officer]] = defaultdict(list)
    for username, email, code, lang in session.execute(stmt):
        out[str(code)].append(Officer(username, email, str(code), lang))
    return out


def reminder_mail(r: ReportingRound, officer: Officer, kind: str, due_on: date, open_entries: int,
                  now: datetime) -> OutgoingMail:
    """The reminder in the officer's language: the round, the due date, how many entries are still to
    submit, the time of sending in JST."""
    lang = officer.preferred_lang

    def t(msgid: str, **kw: object) -> str:
        return gettext(lang, msgid, **kw)

    label, due = round_label(r, lang), fmt_date(due_on, lang)
    if kind == "overdue":
        subject = t("[mamoru] {round}: the due date ({due}) has passed", round=label, due=due)
        lead = t("The due date of the follow-up round {round} was {due}.", round=label, due=due)
    else:
        subject = t("[mamoru] {round}: due on {due}", round=label, due=due)
        lead = t("The follow-up round {round} is due on {due}.", round=label, due=due)
    body = "\n".join([
        lead,
        t("Your agency ({agency}) still has {n} entries to submit.", agency=officer.agency_code, n=open_entries),
        t("Open the round: /followup/rounds/{id}", id=r.id), "",
        t("Sent by mamoru at {time}.", time=fmt_time_jst(now))])
    return OutgoingMail(officer.email, subject, body)


def send_reminders(session: Session, mailer: Mailer, days: int, today: date | None = None,
                   now: datetime | None = None) -> ReminderRound:
    """One pass over the open rounds (the worker's job): every reminder due and not yet sent, each in
    its officer's language and committed with its record, so that it is sent once."""
    now = now or utcnow()
    today = today or japan_date(now)
    done = ReminderRound()
    for r in list(session.scalars(select(ReportingRound).where(ReportingRound.state == "open")
                                  .order_by(ReportingRound.id))):
        pending = _open_by_agency(session, r)
        sent = {(name, kind) for name, kind in session.execute(
            select(RoundReminder.username, RoundReminder.kind).where(RoundReminder.round_id == r.id))}
        for code, officers in _officers(session, set(pending)).items():
            due_on, n = pending[code]
            kind = kind_on(due_on, today, days)
            for officer in officers:
                if kind is None or (officer.username, kind) in sent:
                    continue
                outcome = _send_one(session, mailer, r, officer, kind, due_on, n, now)
                if outcome is True:
                    done.sent[kind] += 1
                elif outcome is False:
                    done.failed += 1
    return done


def _send_one(session: Session, mailer: Mailer, r: ReportingRound, officer: Officer, kind: str, due_on: date,
              n: int, now: datetime) -> bool | None:
    """Record and send one reminder in one transaction: the record's unique key keeps a second worker
    from sending it too (None: that worker sends it); a mail that fails leaves no record (False), so
    the next pass tries again."""
    try:
        session.add(RoundReminder(round_id=r.id, username=officer.username, kind=kind, due_on=due_on,
                                  open_entries=n, sent_at=now))
        session.flush()
    except IntegrityError:  # another worker recorded it first: it sends it
        session.rollback()
        return None
    if not deliver(mailer, reminder_mail(r, officer, kind, due_on, n, now)):
        session.rollback()
        return False
    session.commit()
    return True
