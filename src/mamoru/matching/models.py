"""Tables of hash matching: banks, their entries, platforms' bank choices, counters, snapshots.

Every change to the entries (add, disable, enable) takes the next number from `match_state`, and
the entry remembers it in `changed_version`; a matcher that answers from a snapshot of version V
needs only the entries with changed_version > V to be up to date (its overlay). Unmatched queries
leave nothing but a daily counter per platform; matches are counted per platform and bank.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mamoru.auth.models import User
from mamoru.db import Base, UTCDateTime, utcnow

SIGNALS = ("pdq", "md5", "sha1", "sha256")
SOURCES = ("own_hotline", "partner", "imported")


class HashBank(Base):
    __tablename__ = "hash_banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    owner_organisation: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16), default="own_hotline")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    created_by: Mapped[User | None] = relationship()


class HashBankEntry(Base):
    __tablename__ = "hash_bank_entries"
    __table_args__ = (Index("ix_hash_bank_entries_lookup", "bank_id", "signal", "hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"), index=True)
    signal: Mapped[str] = mapped_column(String(8))
    hash: Mapped[str] = mapped_column(String(64))  # lower-case hex
    category: Mapped[str] = mapped_column(String(64), default="")
    case_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    item: Mapped[str | None] = mapped_column(String(64), nullable=True)  # hashes of one image
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    changed_version: Mapped[int] = mapped_column(Integer, index=True, default=0)

    bank: Mapped[HashBank] = relationship()


class MatchState(Base):
    """One row: the number of the latest change to any bank entry."""

    __tablename__ = "match_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class MatchSnapshot(Base):
    """A snapshot file built from the banks at a version (the newest is the one to serve)."""

    __tablename__ = "match_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pdq_count: Mapped[int] = mapped_column(Integer, default=0)
    exact_count: Mapped[int] = mapped_column(Integer, default=0)


class PlatformBank(Base):
    """A bank offered to a platform (by an administrator, who also decides whether the platform sees
    category labels), and whether the platform has chosen to match against it."""

    __tablename__ = "match_platform_banks"
    __table_args__ = (UniqueConstraint("user_id", "bank_id", name="uq_match_platform_banks_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"))
    show_labels: Mapped[bool] = mapped_column(Boolean, default=False)
    # The administrator offers the bank (the row); the platform chooses whether it matches against it.
    selected: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bank: Mapped[HashBank] = relationship()


class QueryCount(Base):
    """Queries per platform and day: all that an unmatched query leaves behind."""

    __tablename__ = "match_query_counts"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_match_query_counts_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    queries: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)


class MatchCount(Base):
    """Matches per platform, bank and day."""

    __tablename__ = "match_counts"
    __table_args__ = (UniqueConstraint("user_id", "bank_id", "day", name="uq_match_counts_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"))
    day: Mapped[date] = mapped_column(Date)
    matches: Mapped[int] = mapped_column(Integer, default=0)
