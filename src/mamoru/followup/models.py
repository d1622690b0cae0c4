"""Database models of the plan's yearly follow-up: reporting rounds and their entries.

A round covers one or more fiscal years; opening it creates one entry per (measure, agency answering
today) pair. Every saved state of an entry is kept as an EntryVersion, so any two versions can be
compared and nothing an agency wrote is ever lost.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mamoru.db import Base, UTCDateTime, utcnow
from mamoru.plan.models import Agency, Measure, MeasureAssignment

ROUND_STATES = ("open", "closed", "published")


class EntryStatus(Base):
    """One value of the configurable implementation-status list, with its progress percentage."""

    __tablename__ = "fu_entry_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    label_en: Mapped[str] = mapped_column(String(100))
    label_ja: Mapped[str] = mapped_column(String(100))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    implemented: Mapped[bool] = mapped_column(Boolean, default=False)  # counts as implemented in indicators
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    colour: Mapped[str] = mapped_column(String(16), default="#888888")


class ReportingRound(Base):
    __tablename__ = "fu_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    fiscal_years: Mapped[list[int]] = mapped_column(JSON)
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="open")
    title_en: Mapped[str] = mapped_column(String(300), default="")
    title_ja: Mapped[str] = mapped_column(String(300), default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(64), default="cli")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Every entry of the round at its publication (drafts and returned ones too): the portal's database
    # user sees the accepted entries only, and the coverage line says "accepted N of all M entries".
    entries_at_publication: Mapped[int | None] = mapped_column(Integer, nullable=True)
    entries: Mapped[list[RoundEntry]] = relationship(back_populates="round", order_by="RoundEntry.id")
    extensions: Mapped[list[DueDateExtension]] = relationship(order_by="DueDateExtension.id")

    @property
    def published(self) -> bool:
        return self.state == "published"


class DueDateExtension(Base):
    """A round's due date moved later, with its reason: kept and shown on the round's page."""

    __tablename__ = "fu_round_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("fu_rounds.id"), index=True)
    due_before: Mapped[date] = mapped_column(Date)
    due_after: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


REMINDER_KINDS = ("before_due", "overdue")


class RoundReminder(Base):
    """A reminder mail sent to one officer about one round, one row per kind: the unique key is what
    makes the worker send each kind once, whatever restarts or repeated rounds come."""

    __tablename__ = "fu_round_reminders"
    __table_args__ = (UniqueConstraint("round_id", "username", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("fu_rounds.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # before_due or overdue
    due_on: Mapped[date] = mapped_column(Date)  # the due date the mail named
    open_entries: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundEntry(Base):
    """What one agency reports on one measure in one round."""

    __tablename__ = "fu_entries"
    __table_args__ = (UniqueConstraint("round_id", "measure_id", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # stable id used in spreadsheets
    round_id: Mapped[int] = mapped_column(ForeignKey("fu_rounds.id"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("measure_assignments.id"), nullable=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)  # answers today
    written_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))  # as the plan wrote it
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    status_id: Mapped[int | None] = mapped_column(ForeignKey("fu_entry_statuses.id"), nullable=True)
    narrative_en: Mapped[str] = mapped_column(Text, default="")
    narrative_ja: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)
    return_comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    round: Mapped[ReportingRound] = relationship(back_populates="entries")
    measure: Mapped[Measure] = relationship()
    assignment: Mapped[MeasureAssignment | None] = relationship()
    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id])
    written_agency: Mapped[Agency] = relationship(foreign_keys=[written_agency_id])
    status: Mapped[EntryStatus | None] = relationship()
    versions: Mapped[list[EntryVersion]] = relationship(back_populates="entry", order_by="EntryVersion.version")


class EntryVersion(Base):
    """A kept state of an entry after a save, submission, return, acceptance or import."""

    __tablename__ = "fu_entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("fu_entries.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entry: Mapped[RoundEntry] = relationship(back_populates="versions")


class RoundErratum(Base):
    """A correction to a published round's report: what is corrected (an entry, or the report as a
    whole), the corrected wording, the reason and the date. The entry itself is never changed once its
    round is published, so the original stays as it was approved; the report and the portal show both."""

    __tablename__ = "fu_round_errata"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("fu_rounds.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("fu_entries.id"), nullable=True)  # None: the report
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_ja: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    corrected_on: Mapped[date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entry: Mapped[RoundEntry | None] = relationship()


# --- indicators ---------------------------------------------------------------------------------

class Indicator(Base):
    """What the plan watches: a statistic with unit, direction, period type, source and links."""

    __tablename__ = "fu_indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text)
    unit_en: Mapped[str] = mapped_column(String(64), default="")
    unit_ja: Mapped[str] = mapped_column(String(64), default="")
    direction: Mapped[str] = mapped_column(String(8), default="lower")  # higher or lower is better
    period_type: Mapped[str] = mapped_column(String(16), default="calendar")  # calendar or fiscal
    source_en: Mapped[str] = mapped_column(Text, default="")
    source_ja: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ja: Mapped[str] = mapped_column(Text, default="")
    pillars: Mapped[list[int]] = mapped_column(JSON, default=list)
    measures: Mapped[list[str]] = mapped_column(JSON, default=list)  # measure stable ids
    breakdown: Mapped[list[str]] = mapped_column(JSON, default=list)  # categories, e.g. age bands
    target_value: Mapped[float | None] = mapped_column(nullable=True)
    target_period: Mapped[str | None] = mapped_column(String(16), nullable=True)
    provider: Mapped[str | None] = mapped_column(String(64), nullable=True)  # code of a registered provider
    periodicity: Mapped[str] = mapped_column(String(16), default="yearly")  # yearly or monthly
    scale: Mapped[str] = mapped_column(String(16), default="count")  # count, percent or quantity (the value range)
    position: Mapped[int] = mapped_column(Integer, default=0)
    values: Mapped[list[IndicatorValue]] = relationship(back_populates="indicator", order_by="IndicatorValue.id")


class IndicatorValue(Base):
    """One value for one period and category. Entered as a draft; public once a second person of the plan
    office approves it. An approved correction supersedes the value it corrects (both kept); a withdrawn
    value stays here with its reason (mamoru.followup.indicator_values)."""

    __tablename__ = "fu_indicator_values"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("fu_indicators.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))  # "2022", "2011-07", "FY2023"
    category: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[float] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="final")  # provisional or final
    source: Mapped[str] = mapped_column(Text, default="")
    published_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(64), default="cli")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("fu_indicator_values.id"), nullable=True)
    review: Mapped[str] = mapped_column(String(16), default="draft")  # draft, approved or withdrawn
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("fu_indicator_values.id"), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    indicator: Mapped[Indicator] = relationship(back_populates="values")


class PublishedFigure(Base):
    """A value another domain computed for the plan's indicators and published for every process
    (mamoru.followup.figures): the portal shows these, it never computes them."""

    __tablename__ = "fu_published_figures"
    __table_args__ = (UniqueConstraint("provider", "period_type", "period", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), index=True)  # e.g. hotline.removed
    period_type: Mapped[str] = mapped_column(String(16))  # calendar or fiscal
    period: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[float] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")  # who computed it: "mamoru hotline worker"
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- prefectures --------------------------------------------------------------------------------

class PrefectureStatus(Base):
    """Where a prefecture stands on a measure carried out by prefectures (ordinances, centres)."""

    __tablename__ = "fu_prefecture_status"
    __table_args__ = (UniqueConstraint("measure_id", "prefecture_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    prefecture_id: Mapped[int] = mapped_column(ForeignKey("prefectures.id"))
    status: Mapped[str] = mapped_column(String(16))  # done, in_progress, none, unknown
    since: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(64), default="cli")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrefecturePublication(Base):
    """A measure whose per-prefecture status the plan office has published (the public sees it)."""

    __tablename__ = "fu_prefecture_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), unique=True)
    published_by: Mapped[str] = mapped_column(String(64), default="cli")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- meetings and decisions ---------------------------------------------------------------------

class BodyProfile(Base):
    """Chair and secretariat of a body (the registry's `bodies`), with its names over time."""

    __tablename__ = "fu_body_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="")
    chair_en: Mapped[str] = mapped_column(Text, default="")
    chair_ja: Mapped[str] = mapped_column(Text, default="")
    secretariat_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    parent_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), nullable=True)
    names: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{name_en, name_ja, from, to}]
    secretariat: Mapped[Agency | None] = relationship()


class Meeting(Base):
    __tablename__ = "fu_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    held_on: Mapped[date] = mapped_column(Date)
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text)
    body_keys: Mapped[list[str]] = mapped_column(JSON, default=list)  # several bodies: a joint meeting
    attendees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{name, title, agency}]
    agenda: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{en, ja}]
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{title, url}]
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    decisions: Mapped[list[Decision]] = relationship(back_populates="meeting", order_by="Decision.id")
    actions: Mapped[list[ActionItem]] = relationship(back_populates="meeting", order_by="ActionItem.id")
    corrections: Mapped[list[MeetingCorrection]] = relationship(back_populates="meeting",
                                                                order_by="MeetingCorrection.id")


DECISION_KINDS = ("adopt_plan", "approve_round_report", "amend_founding_decision", "other")


class Decision(Base):
    __tablename__ = "fu_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("fu_meetings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_ja: Mapped[str] = mapped_column(Text, default="")
    round_id: Mapped[int | None] = mapped_column(ForeignKey("fu_rounds.id"), nullable=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), nullable=True)
    # A mistaken decision is withdrawn, never deleted: the reason is in the correction log.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    meeting: Mapped[Meeting] = relationship(back_populates="decisions")


class MeetingCorrection(Base):
    """A change to a recorded meeting or one of its decisions, with its reason and the values before and
    after, kept like a measure's amendments so the record of what was decided is never silently rewritten."""

    __tablename__ = "fu_meeting_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("fu_meetings.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("fu_decisions.id"), nullable=True)  # None: the meeting
    action_id: Mapped[int | None] = mapped_column(ForeignKey("fu_action_items.id"), nullable=True)  # an action item's
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, list[Any]]] = mapped_column(JSON)  # field -> [before, after]
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    meeting: Mapped[Meeting] = relationship(back_populates="corrections")


class ActionItem(Base):
    __tablename__ = "fu_action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("fu_meetings.id"), index=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id"), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_ja: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    # A mistaken action item is withdrawn, never deleted: the reason is in the correction log.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    meeting: Mapped[Meeting] = relationship(back_populates="actions")
    measure: Mapped[Measure | None] = relationship()
    owner: Mapped[Agency | None] = relationship()


# --- WePROTECT Model National Response ---------------------------------------------------------

class Capability(Base):
    __tablename__ = "fu_capabilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework: Mapped[str] = mapped_column(String(32), default="weprotect-mnr-2016")
    number: Mapped[int] = mapped_column(Integer)
    domain_key: Mapped[str] = mapped_column(String(32))
    domain_en: Mapped[str] = mapped_column(String(100))
    domain_ja: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("framework", "number"),)


class MeasureCapability(Base):
    __tablename__ = "fu_measure_capabilities"
    __table_args__ = (UniqueConstraint("measure_id", "capability_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    capability_id: Mapped[int] = mapped_column(ForeignKey("fu_capabilities.id"), index=True)
    mapped_by: Mapped[str] = mapped_column(String(64), default="cli")
    # None: proposed (shipped with the reference data) until the plan office confirms it
    confirmed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MaturityAssessment(Base):
    """A self-assessment of one capability: phase 1 (building) to 4 (maturity), with its date."""

    __tablename__ = "fu_maturity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    capability_id: Mapped[int] = mapped_column(ForeignKey("fu_capabilities.id"), index=True)
    phase: Mapped[int] = mapped_column(Integer)
    assessed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64), default="cli")


# --- publication: help services and awareness material -----------------------------------------

class ConsultationService(Base):
    """A place children and families can call: national ones shipped, prefectural ones kept by the office."""

    __tablename__ = "fu_consultation_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16), default="national")  # national or prefectural
    prefecture_id: Mapped[int | None] = mapped_column(ForeignKey("prefectures.id"), nullable=True)
    name_en: Mapped[str] = mapped_column(Text)
    name_ja: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(32), default="")
    hours_en: Mapped[str] = mapped_column(Text, default="")
    hours_ja: Mapped[str] = mapped_column(Text, default="")
    what_en: Mapped[str] = mapped_column(Text, default="")
    what_ja: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AwarenessMaterial(Base):
    """Material a ministry publishes (filtering, safe internet use), linked from the measure producing it.

    Added as a draft; the portal shows it once published. Retired material is kept but never shown again."""

    __tablename__ = "fu_awareness_materials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id"), nullable=True, index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(32), default="families")  # children, families, schools
    published: Mapped[bool] = mapped_column(Boolean, default=False)  # added as a draft, then published
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # withdrawn for good, kept
    retired_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    measure: Mapped[Measure | None] = relationship()
    agency: Mapped[Agency | None] = relationship()
