"""Database models of the plan registry.

A measure keeps the agency labels as the plan wrote them; successions (for example MHLW's
child-related functions moving to the Children and Families Agency on 2023-04-01) are recorded per
assignment, so reports roll up to today's agency while the plan's text stays as decided.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mamoru.db import Base, UTCDateTime, utcnow

PLAN_STATUSES = ("draft", "in_force", "superseded")
ORIGINS = ("third-comprehensive", "other", "unknown")
LINEAGE_KINDS = ("unchanged", "revised", "split", "merged", "new", "dropped")


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    note_en: Mapped[str] = mapped_column(Text, default="")
    note_ja: Mapped[str] = mapped_column(Text, default="")
    parent: Mapped[Agency | None] = relationship(remote_side="Agency.id")


class AgencyProfile(Base):
    """What an agency keeps about itself: focal points and contacts (edited by its officers)."""

    __tablename__ = "agency_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), unique=True)
    focal_point: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    division: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AgencySuccession(Base):
    __tablename__ = "agency_successions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    successor_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    effective_on: Mapped[date] = mapped_column(Date)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    predecessor: Mapped[Agency] = relationship(foreign_keys=[predecessor_id])
    successor: Mapped[Agency] = relationship(foreign_keys=[successor_id])


class Body(Base):
    """A decision-making body: cabinet, ministerial meeting, liaison meeting, council."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_ja: Mapped[str] = mapped_column(String(300))


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title_en: Mapped[str] = mapped_column(String(300))
    title_ja: Mapped[str] = mapped_column(String(300))
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), nullable=True)
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_note_en: Mapped[str] = mapped_column(Text, default="")
    period_note_ja: Mapped[str] = mapped_column(Text, default="")
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), nullable=True)
    measures_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    situation: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    data_version: Mapped[str] = mapped_column(String(32), default="")
    decided_by: Mapped[Body | None] = relationship()
    coordinator: Mapped[Agency | None] = relationship()
    supersedes: Mapped[Plan | None] = relationship(remote_side="Plan.id")
    pillars: Mapped[list[Pillar]] = relationship(back_populates="plan", order_by="Pillar.number")
    origins: Mapped[list[MeasureOrigin]] = relationship(order_by="MeasureOrigin.id")


class MeasureOrigin(Base):
    """Where measures come from (the outline's section 4)."""

    __tablename__ = "measure_origins"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    key: Mapped[str] = mapped_column(String(64))
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Pillar(Base):
    __tablename__ = "pillars"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    number: Mapped[int] = mapped_column(Integer)
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text)
    ja_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    background: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    plan: Mapped[Plan] = relationship(back_populates="pillars")
    measures: Mapped[list[Measure]] = relationship(back_populates="pillar", order_by="Measure.position")


class Measure(Base):
    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)  # stable id, never reused
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    pillar_id: Mapped[int] = mapped_column(ForeignKey("pillars.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text, default="")
    ja_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(32), default="unknown")
    main: Mapped[bool] = mapped_column(Boolean, default=False)
    code_provisional: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pillar: Mapped[Pillar] = relationship(back_populates="measures")
    assignments: Mapped[list[MeasureAssignment]] = relationship(
        back_populates="measure", order_by="MeasureAssignment.position", cascade="all, delete-orphan")
    amendments: Mapped[list[MeasureAmendment]] = relationship(
        back_populates="measure", order_by="MeasureAmendment.id")
    lineage: Mapped[list[MeasureLineage]] = relationship(
        foreign_keys="MeasureLineage.measure_id", order_by="MeasureLineage.id", cascade="all, delete-orphan",
        back_populates="measure")


class MeasureAssignment(Base):
    """A responsible agency of a measure, in the plan's order, with its label as written."""

    __tablename__ = "measure_assignments"
    __table_args__ = (UniqueConstraint("measure_id", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)  # "lead" only where a source says
    succession_id: Mapped[int | None] = mapped_column(ForeignKey("agency_successions.id"), nullable=True)
    measure: Mapped[Measure] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship()
    succession: Mapped[AgencySuccession | None] = relationship()

    def agency_on(self, day: date) -> Agency:
        """The agency that answers for this assignment on `day` (after any succession)."""
        if self.succession is not None and self.succession.effective_on <= day:
            return self.succession.successor
        return self.agency


class MeasureLineage(Base):
    """How a measure of a revised plan relates to the previous plan's measures.

    Kinds: unchanged, revised, split (one predecessor, several successors), merged (several
    predecessors), new (no predecessor). A previous measure that no successor names was dropped;
    `plan.service.dropped_measures()` derives that rather than storing it.
    """

    __tablename__ = "measure_lineage"
    __table_args__ = (UniqueConstraint("measure_id", "predecessor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    measure: Mapped[Measure] = relationship(foreign_keys=[measure_id], back_populates="lineage")
    predecessor: Mapped[Measure | None] = relationship(foreign_keys=[predecessor_id])


class MeasureAmendment(Base):
    """A change to a measure's wording by the plan office, with reason and date."""

    __tablename__ = "measure_amendments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    amended_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, list[object]]] = mapped_column(JSON)
    by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    measure: Mapped[Measure] = relationship(back_populates="amendments")


class DefinitionTerm(Base):
    """The plan's definitions (outline section 1) as a taxonomy shared by later parts."""

    __tablename__ = "definition_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("definition_terms.id"), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")


class Prefecture(Base):
    __tablename__ = "prefectures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)  # JIS X 0401
    name_en: Mapped[str] = mapped_column(String(64))
    name_ja: Mapped[str] = mapped_column(String(64))
    region_en: Mapped[str] = mapped_column(String(64), default="")
    region_ja: Mapped[str] = mapped_column(String(64), default="")


class TimelineEvent(Base):
    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    on: Mapped[date] = mapped_column(Date)
    precision: Mapped[str] = mapped_column(String(8), default="day")
    kind: Mapped[str] = mapped_column(String(32))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), nullable=True)
    title_en: Mapped[str] = mapped_column(Text)
    title_ja: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[Body | None] = relationship()
