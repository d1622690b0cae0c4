"""A measure's history (the model is Decidim's accountability results): round by round, each agency's
status and narrative as accepted, with the errata made to them; the indicators that measure it with
their latest public values; the meetings' decisions and action items on it; its WePROTECT capabilities;
and every amendment of its wording. Entries of the measures it continues (lineage) are included, so the
history runs across a plan's revision.

`public=True` gives what the portal may show: published rounds only, public meetings only. Staff also
see accepted entries of rounds not yet published (marked as such). Drafts, submitted and returned
entries never appear. A fixed number of statements, whatever the number of rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from mamoru.followup.charts import period_time
from mamoru.followup.indicators import LiveProviders, Point, indicators
from mamoru.followup.models import (
    ActionItem,
    Capability,
    Decision,
    Indicator,
    MeasureCapability,
    Meeting,
    ReportingRound,
    RoundEntry,
    RoundErratum,
)
from mamoru.followup.opendata import public_series
from mamoru.plan.models import Measure, MeasureAmendment, MeasureLineage


@dataclass
class RoundStep:
    """One round of the measure's history: the accepted entries, each with its errata."""

    round: ReportingRound
    entries: list[RoundEntry] = field(default_factory=list)
    errata: dict[int, list[RoundErratum]] = field(default_factory=dict)


@dataclass
class IndicatorLatest:
    indicator: Indicator
    latest: Point | None


@dataclass
class MeasureHistory:
    measure: Measure
    public: bool
    predecessors: list[Measure]
    rounds: list[RoundStep]
    indicators: list[IndicatorLatest]
    decisions: list[Decision]
    actions: list[ActionItem]
    capabilities: list[Capability]
    amendments: list[MeasureAmendment]


def measure_history(session: Session, measure: Measure, public: bool, live: LiveProviders) -> MeasureHistory:
    predecessors = [x.predecessor for x in session.scalars(
        select(MeasureLineage).where(MeasureLineage.measure_id == measure.id, MeasureLineage.predecessor_id.isnot(None))
        .options(selectinload(MeasureLineage.predecessor))) if x.predecessor is not None]
    ids = [measure.id, *(m.id for m in predecessors)]
    steps = _rounds(session, ids, public)
    actions = _actions(session, ids, public)
    return MeasureHistory(measure, public, predecessors, steps, _indicators(session, measure, live),
                          _decisions(session, [s.round.id for s in steps], actions, public), actions,
                          list(session.scalars(select(Capability).join(MeasureCapability,
                                                                       MeasureCapability.capability_id == Capability.id)
                                               .where(MeasureCapability.measure_id == measure.id)
                                               .order_by(Capability.number))),
                          list(session.scalars(select(MeasureAmendment).where(MeasureAmendment.measure_id == measure.id)
                                               .order_by(MeasureAmendment.amended_on, MeasureAmendment.id))))


def _rounds(session: Session, ids: list[int], public: bool) -> list[RoundStep]:
    stmt = (select(RoundEntry).join(ReportingRound, RoundEntry.round_id == ReportingRound.id)
            .where(RoundEntry.measure_id.in_(ids), RoundEntry.state == "accepted")
            .order_by(ReportingRound.id, RoundEntry.id)
            .options(selectinload(RoundEntry.round), selectinload(RoundEntry.agency), selectinload(RoundEntry.status),
                     selectinload(RoundEntry.measure)))
    if public:
        stmt = stmt.where(ReportingRound.state == "published")
    steps: dict[int, RoundStep] = {}
    for e in session.scalars(stmt):
        steps.setdefault(e.round_id, RoundStep(e.round)).entries.append(e)
    if steps:
        fixes = session.scalars(select(RoundErratum).where(RoundErratum.entry_id.in_(
            [e.id for s in steps.values() for e in s.entries])).order_by(RoundErratum.id))
        for x in fixes:
            steps[x.round_id].errata.setdefault(x.entry_id or 0, []).append(x)
    return sorted(steps.values(), key=lambda s: (min(s.round.fiscal_years or [0]), s.round.id))


def _indicators(session: Session, measure: Measure, live: LiveProviders) -> list[IndicatorLatest]:
    out = []
    for ind in indicators(session):
        if measure.uid not in (ind.measures or []):
            continue
        totals = [p for p in public_series(session, ind, live) if not p.category]
        totals.sort(key=lambda p: (period_time(p.period) or 0.0, p.period))
        out.append(IndicatorLatest(ind, totals[-1] if totals else None))
    return out


def _actions(session: Session, ids: list[int], public: bool) -> list[ActionItem]:
    stmt = (select(ActionItem).join(Meeting, ActionItem.meeting_id == Meeting.id)
            .where(ActionItem.measure_id.in_(ids)).order_by(Meeting.held_on, ActionItem.id)
            .options(selectinload(ActionItem.meeting), selectinload(ActionItem.owner)))
    if public:
        stmt = stmt.where(Meeting.public.is_(True))
    return list(session.scalars(stmt))


def _decisions(session: Session, round_ids: list[int], actions: list[ActionItem], public: bool) -> list[Decision]:
    """The decisions that approved the rounds of the history, and those of the meetings that gave the
    measure an action item."""
    meeting_ids = sorted({a.meeting_id for a in actions})
    stmt = (select(Decision).join(Meeting, Decision.meeting_id == Meeting.id)
            .where(or_(Decision.round_id.in_(round_ids) & (Decision.kind == "approve_round_report"),
                       Decision.meeting_id.in_(meeting_ids)))
            .order_by(Meeting.held_on, Decision.id).options(selectinload(Decision.meeting)))
    if public:
        stmt = stmt.where(Meeting.public.is_(True))
    return list(session.scalars(stmt))


def history_out(h: MeasureHistory) -> dict[str, object]:
    """The history as JSON (the API), the same content as the page."""
    m = h.measure
    return {
        "measure": m.uid, "code": m.code, "title_ja": m.title_ja, "title_en": m.title_en, "public": h.public,
        "continues": [{"measure": p.uid, "code": p.code} for p in h.predecessors],
        "rounds": [{"round": s.round.id, "fiscal_years": sorted(s.round.fiscal_years), "title_ja": s.round.title_ja,
                    "title_en": s.round.title_en, "published": s.round.published,
                    "published_at": s.round.published_at.isoformat() if s.round.published_at else None,
                    "entries": [{"measure": e.measure.uid, "agency": e.agency.code,
                                 "status": e.status.key if e.status else None,
                                 "status_ja": e.status.label_ja if e.status else None,
                                 "status_en": e.status.label_en if e.status else None,
                                 "progress": e.status.progress if e.status else None,
                                 "narrative_ja": e.narrative_ja, "narrative_en": e.narrative_en,
                                 "accepted_at": e.accepted_at.isoformat() if e.accepted_at else None,
                                 "errata": [{"corrected_on": x.corrected_on.isoformat(), "text_ja": x.text_ja,
                                             "text_en": x.text_en, "reason": x.reason}
                                            for x in s.errata.get(e.id, [])]} for e in s.entries]}
                   for s in h.rounds],
        "indicators": [{"indicator": i.indicator.code, "title_ja": i.indicator.title_ja,
                        "title_en": i.indicator.title_en, "unit_ja": i.indicator.unit_ja,
                        "unit_en": i.indicator.unit_en,
                        "latest": None if i.latest is None else {"period": i.latest.period, "value": i.latest.value,
                                                                 "status": i.latest.status,
                                                                 "source": i.latest.source}} for i in h.indicators],
        "decisions": [{"meeting": d.meeting_id, "held_on": d.meeting.held_on.isoformat(),
                       "meeting_title_ja": d.meeting.title_ja, "meeting_title_en": d.meeting.title_en, "kind": d.kind,
                       "text_ja": d.text_ja, "text_en": d.text_en, "round": d.round_id} for d in h.decisions],
        "actions": [{"meeting": a.meeting_id, "held_on": a.meeting.held_on.isoformat(), "text_ja": a.text_ja,
                     "text_en": a.text_en, "owner": a.owner.code if a.owner else None,
                     "due_on": a.due_on.isoformat() if a.due_on else None, "done": a.done} for a in h.actions],
        "capabilities": [{"number": c.number, "domain": c.domain_key, "title_ja": c.title_ja, "title_en": c.title_en}
                         for c in h.capabilities],
        "amendments": [{"amended_on": x.amended_on.isoformat(), "reason": x.reason, "changes": x.changes, "by": x.by}
                       for x in h.amendments],
    }
