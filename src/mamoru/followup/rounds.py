"""Reporting rounds: opening one, the configurable status list, and the coordinator's dashboard.

Opening a round routes every (measure, responsible agency) pair of the plan to the agency that
answers for it today (MeasureAssignment.agency_on), so agencies reorganised since the plan was
written receive their predecessors' entries. Dashboard figures are computed with GROUP BY queries,
so the page costs the same number of statements however many measures and rounds there are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem, Term
from mamoru.followup.models import DueDateExtension, EntryStatus, ReportingRound, RoundEntry
from mamoru.i18n import fiscal_year_label
from mamoru.plan.models import Agency, Measure, MeasureAssignment, Pillar, Plan
from mamoru.plan.service import default_plan

DEFAULT_STATUSES = (
    # key, English, Japanese, progress %, counts as implemented, colour
    ("not_started", "Not started", "未着手", 0, False, "#b8bfcc"),
    ("in_progress", "In progress", "実施中", 50, False, "#e0a526"),
    ("implemented", "Implemented", "実施済み", 100, True, "#2f8f4e"),
    ("continuing", "Continuing", "継続実施", 100, True, "#1f5fa8"),
    ("delayed", "Delayed", "遅延", 25, False, "#a3261b"),
)


def ensure_statuses(session: Session) -> list[EntryStatus]:
    """The status list, created with the defaults the first time it is needed."""
    rows = list(session.scalars(select(EntryStatus).order_by(EntryStatus.position)))
    if rows:
        return rows
    for pos, (key, en, ja, pct, impl, colour) in enumerate(DEFAULT_STATUSES, start=1):
        session.add(EntryStatus(key=key, label_en=en, label_ja=ja, progress=pct, position=pos,
                                implemented=impl, colour=colour))
    session.flush()
    return list(session.scalars(select(EntryStatus).order_by(EntryStatus.position)))


def set_status(session: Session, actor: User | None, key: str, label_en: str, label_ja: str, progress: int,
               implemented: bool = False, active: bool = True) -> EntryStatus:
    """Add or change one value of the status list (coordinator)."""
    _require_office(actor)
    problems = []
    if not key or not key.replace("_", "").isalnum() or len(key) > 32:
        problems.append(Problem(None, "key", "use letters, digits and _ (up to 32)"))
    if not 0 <= progress <= 100:
        problems.append(Problem(None, "progress", "a percentage from 0 to 100"))
    if not label_en.strip() or not label_ja.strip():
        problems.append(Problem(None, "label", "a label in both languages"))
    if problems:
        raise InvalidInput(problems)
    existing = ensure_statuses(session)
    row = next((s for s in existing if s.key == key), None)
    if row is None:
        row = EntryStatus(key=key, position=len(existing) + 1)
        session.add(row)
    row.label_en, row.label_ja, row.progress = label_en.strip(), label_ja.strip(), progress
    row.implemented, row.active = implemented, active
    audit.record(session, actor, "followup:status:set", f"status:{key}",
                 {"progress": progress, "implemented": implemented, "active": active})
    session.flush()
    return row


def _require_office(actor: User | None) -> None:
    if actor is not None and actor.role != roles.COORDINATOR:
        raise PermissionDenied("only the plan office (coordinator) does this")


def round_label(r: ReportingRound, lang: str) -> str:
    years = sorted(r.fiscal_years)
    if lang == "ja":
        return "・".join(fiscal_year_label(y, "ja") for y in years)
    return " and ".join(fiscal_year_label(y, "en") for y in years)


def open_round(session: Session, actor: User | None, fiscal_years: list[int], due_on: date,
               plan: Plan | None = None, today: date | None = None) -> ReportingRound:
    """Open a round: one entry per measure and agency answering today, all due on `due_on`."""
    _require_office(actor)
    years = sorted(set(fiscal_years))
    problems = [Problem.of(None, "fy", "{year} is not a plausible fiscal year", year=y)
                for y in years if not 2000 <= y <= 2100]
    if not years:
        problems.append(Problem(None, "fy", "name at least one fiscal year"))
    today = today or date.today()
    if due_on < today:
        problems.append(Problem.of(None, "due", "the due date {due} is already past", due=due_on.isoformat()))
    plan = plan or default_plan(session)
    if not session.scalar(select(func.count()).select_from(Measure).where(Measure.plan_id == plan.id)):
        problems.append(Problem.of(None, "plan", "the plan {plan} has no measures yet: import its measure list "
                                   "before opening a round on it", plan=plan.key))
    if problems:
        raise InvalidInput(problems)
    for other in session.scalars(select(ReportingRound).where(ReportingRound.plan_id == plan.id)):
        if set(other.fiscal_years) & set(years):
            raise Conflict(f"round {other.id} already covers {', '.join(map(str, sorted(set(other.fiscal_years) & set(years))))}")
    r = ReportingRound(plan_id=plan.id, fiscal_years=years, due_on=due_on, state="open",
                       opened_by=actor.username if actor else "cli")
    r.title_en = f"Implementation status of the Basic Plan, {round_label(r, 'en')}"
    r.title_ja = f"子供の性被害防止プランに基づく施策の実施状況（{round_label(r, 'ja')}）"
    session.add(r)
    session.flush()
    ensure_statuses(session)
    stmt = (select(MeasureAssignment).join(Measure).join(Pillar, Measure.pillar_id == Pillar.id)
            .where(Measure.plan_id == plan.id)
            .order_by(Pillar.number, Measure.position, MeasureAssignment.position)
            .options(selectinload(MeasureAssignment.measure), selectinload(MeasureAssignment.agency),
                     selectinload(MeasureAssignment.succession)))
    seen: set[tuple[int, int]] = set()
    for a in session.scalars(stmt):
        answering = a.agency_on(today)
        if (a.measure_id, answering.id) in seen:
            continue  # predecessor and successor both listed: one entry for today's agency
        seen.add((a.measure_id, answering.id))
        session.add(RoundEntry(key=f"r{r.id}-{a.measure.uid}-{answering.code.lower()}", round_id=r.id,
                               measure_id=a.measure_id, assignment_id=a.id, agency_id=answering.id,
                               written_agency_id=a.agency_id, due_on=due_on))
    session.flush()
    audit.record(session, actor, "followup:round:open", f"round:{r.id}",
                 {"fiscal_years": years, "due_on": due_on.isoformat(), "entries": len(seen)})
    return r


def rounds(session: Session, published_only: bool = False) -> list[ReportingRound]:
    stmt = select(ReportingRound).order_by(ReportingRound.id.desc())
    if published_only:
        stmt = stmt.where(ReportingRound.state == "published")
    return list(session.scalars(stmt))


def get_round(session: Session, round_id: int, published_only: bool = False) -> ReportingRound:
    r = session.get(ReportingRound, round_id)
    if r is None or (published_only and not r.published):
        raise NotFound("no round {round}", round=round_id)
    return r


@dataclass
class AgencyTally:
    """One agency's entries in a round: how many are accepted (and so would be published) of all."""

    code: str
    name_en: str
    name_ja: str
    accepted: int = 0
    total: int = 0


@dataclass
class PublicationSummary:
    """What publishing a round puts on the portal: accepted N of M entries, overall and by agency.

    The web confirmation page, the API and `mamoru round publish` all show this one summary, and
    the published report counts the same accepted entries (mamoru.followup.report.build)."""

    round_id: int
    agencies: list[AgencyTally]
    fingerprint: str = ""  # of every entry's state and version: the confirmation names what it saw

    @property
    def accepted(self) -> int:
        return sum(a.accepted for a in self.agencies)

    @property
    def total(self) -> int:
        return sum(a.total for a in self.agencies)

    @property
    def left_out(self) -> int:
        return self.total - self.accepted

    def lines(self) -> list[str]:
        """The summary as plain lines (the CLI's and the API's refusal message)."""
        return [f"accepted {self.accepted} of {self.total} entries"] + \
            [f"  {a.code}: accepted {a.accepted} of {a.total}" for a in self.agencies] + \
            [f"fingerprint {self.fingerprint}"]


class StaleSummary(Conflict):
    """The entries changed between the summary a person confirmed and the publication: nothing is
    published, and `summary` is what publishing would now include."""

    def __init__(self, summary: PublicationSummary) -> None:
        super().__init__("the entries changed since the summary was shown; not published. Now: "
                         + "; ".join(summary.lines()))
        self.summary = summary


def publication_summary(session: Session, r: ReportingRound) -> PublicationSummary:
    """Accepted and total entries of the round by agency (one GROUP BY statement)."""
    stmt = (select(Agency.code, Agency.name_en, Agency.name_ja,
                   func.sum(case((RoundEntry.state == "accepted", 1), else_=0)), func.count())
            .select_from(RoundEntry).join(Agency, RoundEntry.agency_id == Agency.id)
            .where(RoundEntry.round_id == r.id).group_by(Agency.code, Agency.name_en, Agency.name_ja))
    rows = [AgencyTally(code, en, ja, int(acc or 0), int(n)) for code, en, ja, acc, n in session.execute(stmt)]
    digest = hashlib.sha256()
    for entry_id, state, version in session.execute(
            select(RoundEntry.id, RoundEntry.state, RoundEntry.version).where(RoundEntry.round_id == r.id)
            .order_by(RoundEntry.id)):
        digest.update(f"{entry_id}:{state}:{version};".encode())
    return PublicationSummary(r.id, sorted(rows, key=lambda a: a.code), digest.hexdigest()[:16])


@dataclass(frozen=True)
class Coverage:
    """How much of the plan a round's accepted entries cover: accepted N of all M entries of the round,
    on n of the plan's m measures."""

    entries_accepted: int
    entries_total: int
    measures_covered: int
    measures_total: int


def round_coverage(session: Session, r: ReportingRound) -> Coverage:
    """The coverage line of the publish page, the report (HTML, PDF, Markdown) and the portal, counted
    here only. A published round's total is the number kept at its publication: the portal's database
    user sees its accepted entries only, so counting them there would say "1 of 1"."""
    accepted = select(RoundEntry).where(RoundEntry.round_id == r.id, RoundEntry.state == "accepted").subquery()
    n_accepted, n_covered = session.execute(
        select(func.count(), func.count(func.distinct(accepted.c.measure_id))).select_from(accepted)).one()
    total = r.entries_at_publication if r.published and r.entries_at_publication is not None else \
        session.scalar(select(func.count()).select_from(RoundEntry).where(RoundEntry.round_id == r.id))
    measures = session.scalar(select(func.count()).select_from(Measure).where(Measure.plan_id == r.plan_id))
    return Coverage(int(n_accepted), int(total or 0), int(n_covered), int(measures or 0))


def publish_round(session: Session, actor: User | None, r: ReportingRound,
                  fingerprint: str | None = None) -> ReportingRound:
    """Publish: the round and its accepted entries reach the public portal. The doors ask for
    confirmation first, showing `publication_summary`, and pass its `fingerprint`: when an entry changed
    since (accepted, returned, saved), StaleSummary refuses with the new summary."""
    _require_office(actor)
    # the round's row locked for update (PostgreSQL) until the commit: an entry action waiting on it
    # then finds the round published, and none can slip in between the summary and the publication
    state = session.scalar(select(ReportingRound.state).where(ReportingRound.id == r.id).with_for_update())
    if r.published or state == "published":
        raise Conflict(f"round {r.id} is already published")
    summary = publication_summary(session, r)
    if fingerprint is not None and fingerprint.strip() != summary.fingerprint:
        raise StaleSummary(summary)
    if summary.accepted == 0:
        raise Conflict("accept at least one entry before publishing the round")
    r.state, r.published_at, r.published_by = "published", utcnow(), actor.username if actor else "cli"
    r.entries_at_publication = summary.total
    audit.record(session, actor, "followup:round:publish", f"round:{r.id}",
                 {"accepted": summary.accepted, "total": summary.total})
    session.flush()
    return r


@dataclass
class Completion:
    """Entry counts by state for one agency or pillar."""

    key: str
    label_en: str
    label_ja: str
    counts: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts.get("accepted", 0)

    @property
    def submitted(self) -> int:
        return self.counts.get("submitted", 0) + self.done

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.total) if self.total else 0


def _counts(session: Session, r: ReportingRound, group: list[Any], today: date) -> list[tuple[Any, ...]]:
    overdue = case((RoundEntry.state.in_(("draft", "returned")) & (RoundEntry.due_on < today), 1), else_=0)
    stmt = (select(*group, RoundEntry.state, func.count(), func.sum(overdue))
            .select_from(RoundEntry).where(RoundEntry.round_id == r.id).group_by(*group, RoundEntry.state))
    return list(session.execute(stmt.join(Measure, RoundEntry.measure_id == Measure.id)
                                .join(Pillar, Measure.pillar_id == Pillar.id)
                                .join(Agency, RoundEntry.agency_id == Agency.id)))


def completion(session: Session, r: ReportingRound, today: date | None = None) -> dict[str, list[Completion]]:
    """Completion by agency and by pillar, plus overdue counts (two queries)."""
    today = today or date.today()
    out: dict[str, list[Completion]] = {"agency": [], "pillar": []}
    overdue: dict[str, int] = {}
    specs: dict[str, list[Any]] = {"agency": [Agency.code, Agency.name_en, Agency.name_ja],
             "pillar": [Pillar.number, Pillar.title_en, Pillar.title_ja]}
    for kind, cols in specs.items():
        rows: dict[str, Completion] = {}
        for key, en, ja, state, n, late in _counts(session, r, cols, today):
            c = rows.setdefault(str(key), Completion(str(key), en, ja))
            c.counts[state] = c.counts.get(state, 0) + n
            overdue[f"{kind}:{key}"] = overdue.get(f"{kind}:{key}", 0) + int(late or 0)
        out[kind] = sorted(rows.values(), key=lambda c: (len(c.key), c.key))
    for kind, items in out.items():
        for c in items:
            c.overdue = overdue.get(f"{kind}:{c.key}", 0)
    return out


OVERDUE_PAGE = 50


@dataclass
class OverduePage:
    """One page of a round's overdue entries (open and past their due date), oldest due first."""

    entries: list[RoundEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def overdue_entries(session: Session, r: ReportingRound, today: date | None = None, page: int = 1,
                    per_page: int = OVERDUE_PAGE) -> OverduePage:
    """Page `page` (from 1) of the round's overdue entries and how many there are in all: the
    dashboard and the API page through them instead of stopping at the first 50."""
    today = today or date.today()
    if page < 1 or not 1 <= per_page <= 500:
        raise InvalidInput([Problem(None, "page", "a page from 1, and from 1 to 500 entries a page")])
    where = (RoundEntry.round_id == r.id, RoundEntry.state.in_(("draft", "returned")), RoundEntry.due_on < today)
    total = session.scalar(select(func.count()).select_from(RoundEntry).where(*where)) or 0
    stmt = (select(RoundEntry).where(*where).order_by(RoundEntry.due_on, RoundEntry.id)
            .limit(per_page).offset((page - 1) * per_page)
            .options(selectinload(RoundEntry.measure), selectinload(RoundEntry.agency)))
    return OverduePage(list(session.scalars(stmt)), int(total), page, per_page)


def extend_due_date(session: Session, actor: User | None, r: ReportingRound, due_on: date, reason: str,
                    today: date | None = None) -> DueDateExtension:
    """Move an open round's due date later, with a reason (kept and shown on the round's page):
    every entry that was due on the old date is due on the new one. Officers already reminded
    before the old date are not reminded again; those reminded as overdue neither."""
    _require_office(actor)
    if r.state != "open":
        raise Conflict("round {round} is {state}: its due date is no longer extended", round=r.id,
                       state=Term(r.state, r.state.capitalize()))
    today = today or date.today()
    problems = []
    if due_on <= r.due_on:
        problems.append(Problem.of(None, "due", "the new due date must be later than the current one ({due})",
                                   due=r.due_on.isoformat()))
    elif due_on < today:
        problems.append(Problem.of(None, "due", "the due date {due} is already past", due=due_on.isoformat()))
    if not reason.strip():
        problems.append(Problem(None, "reason", "an extension needs a reason"))
    if problems:
        raise InvalidInput(problems)
    before = r.due_on
    ext = DueDateExtension(round_id=r.id, due_before=before, due_after=due_on, reason=reason.strip(),
                           by=actor.username if actor else "cli")
    r.extensions.append(ext)
    r.due_on = due_on
    for e in session.scalars(select(RoundEntry).where(RoundEntry.round_id == r.id, RoundEntry.due_on == before)):
        e.due_on = due_on
    session.flush()
    audit.record(session, actor, "followup:round:extend", f"round:{r.id}",
                 {"due_before": before.isoformat(), "due_after": due_on.isoformat(), "reason": reason.strip()})
    return ext


def state_totals(session: Session, r: ReportingRound) -> dict[str, int]:
    rows = session.execute(select(RoundEntry.state, func.count()).where(RoundEntry.round_id == r.id)
                           .group_by(RoundEntry.state))
    return {s: n for s, n in rows}
