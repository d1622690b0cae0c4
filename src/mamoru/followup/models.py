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
    entries: Mapped[list[RoundEntry]] = relationship(back_populates="round", order_by="RoundEntry.id")

    @property
    def published(self) -> bool:
        return self.state == "published"


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
