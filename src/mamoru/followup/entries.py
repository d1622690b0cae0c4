"""An agency's entry in a round: saving drafts, submitting, returns and acceptance, kept versions.

Each action goes through the pure rules of `workflow`, keeps a version, writes an audit event and
tells the people concerned (agency officers when their entry is returned, accepted or its status
changes; the plan office when an entry is submitted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup import workflow
from mamoru.followup.models import EntryStatus, EntryVersion, ReportingRound, RoundEntry
from mamoru.followup.rounds import ensure_statuses, round_label
from mamoru.mail import Mailer, OutgoingMail, deliver
from mamoru.plan.models import Measure

ENTRY_LOAD = (selectinload(RoundEntry.measure).selectinload(Measure.pillar), selectinload(RoundEntry.agency),
              selectinload(RoundEntry.written_agency), selectinload(RoundEntry.status))


def get_entry(session: Session, entry_id: int) -> RoundEntry:
    e = session.scalar(select(RoundEntry).where(RoundEntry.id == entry_id).options(
        *ENTRY_LOAD, selectinload(RoundEntry.versions), selectinload(RoundEntry.round)))
    if e is None:
        raise NotFound(f"no entry {entry_id}")
    return e


def round_entries(session: Session, r: ReportingRound, agency_code: str | None = None,
                  state: str | None = None) -> list[RoundEntry]:
    from mamoru.plan.models import Agency, Pillar

    stmt = (select(RoundEntry).join(Measure, RoundEntry.measure_id == Measure.id)
            .join(Pillar, Measure.pillar_id == Pillar.id).where(RoundEntry.round_id == r.id)
            .order_by(Pillar.number, Measure.position, RoundEntry.id).options(*ENTRY_LOAD))
    if agency_code:
        stmt = stmt.join(Agency, RoundEntry.agency_id == Agency.id).where(Agency.code == agency_code.upper())
    if state:
        stmt = stmt.where(RoundEntry.state == state)
    return list(session.scalars(stmt))


def is_office(user: User | None) -> bool:
    return user is None or user.role == roles.COORDINATOR


def own_agency(user: User | None, entry: RoundEntry) -> bool:
    return (user is not None and user.role == roles.AGENCY_OFFICER and user.agency_code is not None
            and user.agency_code == entry.agency.code)


def can_view(user: User | None, entry: RoundEntry) -> bool:
    if user is None:
        return False
    return user.role in (roles.COORDINATOR, roles.AUDITOR, roles.ADMINISTRATOR) or own_agency(user, entry)


def content_of(entry: RoundEntry) -> workflow.Content:
    return workflow.Content(status=entry.status.key if entry.status else None, narrative_en=entry.narrative_en,
                            narrative_ja=entry.narrative_ja, figures=list(entry.figures or []),
                            evidence=list(entry.evidence or []))


def _status_map(session: Session) -> dict[str, EntryStatus]:
    return {s.key: s for s in ensure_statuses(session) if s.active}


def _keep_version(session: Session, entry: RoundEntry, action: str, actor: User | None, comment: str = "") -> None:
    entry.version += 1
    entry.updated_at, entry.updated_by = utcnow(), actor.username if actor else "cli"
    session.add(EntryVersion(entry_id=entry.id, version=entry.version, action=action, state=entry.state,
                             snapshot={**content_of(entry).snapshot(), "state": entry.state},
                             comment=comment, by=entry.updated_by))


def _round_state(entry: RoundEntry) -> str:
    """The entry's round state, read under a shared lock on the round's row (PostgreSQL), so that an
    entry never changes while its round is being published (publish_round locks the row for update)."""
    session = object_session(entry)
    if session is None:
        return entry.round.state
    state = session.scalar(select(ReportingRound.state).where(ReportingRound.id == entry.round_id)
                           .with_for_update(read=True))
    return state or entry.round.state


def _transition(entry: RoundEntry, action: str, actor: User | None) -> str:
    if _round_state(entry) == "published":  # the report is the record: corrected by errata (mamoru.followup.errata) only
        raise Conflict("round {round} is published: its entries are the record and no longer change; "
                       "add an erratum instead", round=entry.round_id)
    if entry.round.state != "open" and action in workflow.AGENCY_ACTIONS:
        raise Conflict(f"round {entry.round_id} is {entry.round.state}: entries can no longer change")
    try:
        return workflow.next_state(action, entry.state, is_coordinator=is_office(actor),
                                   own_agency=own_agency(actor, entry))
    except workflow.TransitionRefused as exc:
        person_may = is_office(actor) or (action in workflow.AGENCY_ACTIONS and own_agency(actor, entry))
        raise (Conflict(str(exc)) if person_may else PermissionDenied(str(exc))) from None


def apply_content(session: Session, entry: RoundEntry, content: workflow.Content,
                  statuses: dict[str, EntryStatus] | None = None, row: int | None = None) -> list[Problem]:
    statuses = statuses if statuses is not None else _status_map(session)
    problems = workflow.check_content(content, set(statuses), row)
    if problems:
        return problems
    entry.status = statuses[content.status] if content.status else None
    entry.narrative_en, entry.narrative_ja = content.narrative_en.strip(), content.narrative_ja.strip()
    entry.figures, entry.evidence = content.figures, content.evidence
    return []


def save_entry(session: Session, entry: RoundEntry, actor: User | None, content: workflow.Content,
               mail: Mailer | None = None, submit: bool = False) -> RoundEntry:
    """Save a draft (and submit it when `submit`); the entry must be editable by `actor`."""
    entry.state = _transition(entry, "save", actor)
    before = entry.status.key if entry.status else None
    problems = apply_content(session, entry, content)
    if submit:
        problems += workflow.ready_to_submit(content)
    if problems:
        raise InvalidInput(problems)
    _keep_version(session, entry, "save", actor)
    audit.record(session, actor, "followup:entry:save", f"entry:{entry.key}", {"version": entry.version})
    if submit:
        return submit_entry(session, entry, actor, mail)
    if mail is not None and before != content.status and not own_agency(actor, entry):
        _tell_agency(session, mail, entry, "status changed", "状況が変更されました")
    session.flush()
    return entry


def submit_entry(session: Session, entry: RoundEntry, actor: User | None, mail: Mailer | None = None) -> RoundEntry:
    nxt = _transition(entry, "submit", actor)
    problems = workflow.ready_to_submit(content_of(entry))
    if problems:
        raise InvalidInput(problems)
    entry.state, entry.submitted_at, entry.return_comment = nxt, utcnow(), ""
    _keep_version(session, entry, "submit", actor)
    audit.record(session, actor, "followup:entry:submit", f"entry:{entry.key}", {"version": entry.version})
    if mail is not None:
        _tell_office(session, mail, entry)
    session.flush()
    return entry


def return_entry(session: Session, entry: RoundEntry, actor: User | None, comment: str,
                 mail: Mailer | None = None) -> RoundEntry:
    if not comment.strip():
        raise InvalidInput([Problem(None, "comment", "say what the agency should change")])
    entry.state = _transition(entry, "return", actor)
    entry.return_comment, entry.accepted_at = comment.strip(), None
    _keep_version(session, entry, "return", actor, comment.strip())
    audit.record(session, actor, "followup:entry:return", f"entry:{entry.key}", {"comment": comment.strip()})
    if mail is not None:
        _tell_agency(session, mail, entry, "returned with a comment", "コメント付きで差し戻されました",
                     comment.strip())
    session.flush()
    return entry


def accept_entry(session: Session, entry: RoundEntry, actor: User | None, mail: Mailer | None = None,
                 comment: str = "") -> RoundEntry:
    """Accept the entry; a comment typed with the acceptance is kept on its version and mailed too."""
    entry.state = _transition(entry, "accept", actor)
    entry.accepted_at = utcnow()
    _keep_version(session, entry, "accept", actor, comment.strip())
    audit.record(session, actor, "followup:entry:accept", f"entry:{entry.key}",
                 {"version": entry.version, **({"comment": comment.strip()} if comment.strip() else {})})
    if mail is not None:
        _tell_agency(session, mail, entry, "accepted", "受理されました", comment.strip())
    session.flush()
    return entry


def version_diff(entry: RoundEntry, a: int, b: int) -> list[workflow.FieldChange]:
    by_no = {v.version: v for v in entry.versions}
    if a not in by_no or b not in by_no:
        raise NotFound(f"entry {entry.id} has versions 1 to {entry.version}")
    return workflow.diff_snapshots(by_no[a].snapshot, by_no[b].snapshot)


# --- notifications ------------------------------------------------------------------------------

def _addresses(session: Session, role: str, agency_code: str | None = None) -> tuple[str, ...]:
    stmt = select(User.email).where(User.role == role, User.active.is_(True), User.email != "")
    if agency_code is not None:
        stmt = stmt.where(User.agency_code == agency_code)
    return tuple(sorted(set(session.scalars(stmt))))


def _about(entry: RoundEntry) -> tuple[str, str]:
    m = entry.measure
    en = f"{m.code} {m.title_en} ({entry.agency.code}), {round_label(entry.round, 'en')}"
    ja = f"{m.code} {m.title_ja or m.title_en}（{entry.agency.name_ja}）、{round_label(entry.round, 'ja')}"
    return en, ja


def _tell_agency(session: Session, mail: Mailer, entry: RoundEntry, what_en: str, what_ja: str,
                 comment: str = "") -> None:
    en, ja = _about(entry)
    status = entry.status
    lines = [f"【mamoru】{ja}: {what_ja}", f"Your entry {en} was {what_en}." if what_en != "status changed"
             else f"The status of your entry {en} changed."]
    if status is not None:
        lines.append(f"状況 / Status: {status.label_ja} / {status.label_en} ({status.progress}%)")
    if comment:
        lines += ["", "コメント / Comment:", comment]
    deliver(mail, OutgoingMail(", ".join(_addresses(session, roles.AGENCY_OFFICER, entry.agency.code)),
                               f"[mamoru] {entry.measure.code} {entry.agency.code}: {what_en}", "\n".join(lines)))


def _tell_office(session: Session, mail: Mailer, entry: RoundEntry) -> None:
    en, ja = _about(entry)
    deliver(mail, OutgoingMail(", ".join(_addresses(session, roles.COORDINATOR)),
                               f"[mamoru] {entry.measure.code} {entry.agency.code}: submitted",
                               f"【mamoru】{ja}: 提出されました\n{en} was submitted for review."))


def entry_rows(entries: Sequence[RoundEntry]) -> list[dict[str, Any]]:
    """Plain dictionaries for the API."""
    return [{
        "id": e.id, "key": e.key, "round": e.round_id, "measure": e.measure.uid, "code": e.measure.code,
        "pillar": e.measure.pillar.number, "agency": e.agency.code, "written_agency": e.written_agency.code,
        "state": e.state, "status": e.status.key if e.status else None,
        "progress": e.status.progress if e.status else None, "narrative_en": e.narrative_en,
        "narrative_ja": e.narrative_ja, "figures": e.figures, "evidence": e.evidence, "version": e.version,
        "due_on": e.due_on.isoformat(), "return_comment": e.return_comment,
    } for e in entries]
