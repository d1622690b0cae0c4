"""Tables of the blocking list: entries, the version log, appeals, publications, feed access and
what each subscriber may fetch.

An entry is active from the version that confirmed it (`added_version`) until the version that
removed it (`removed_version`), so the list at any version is one query and two versions compare
directly. Published snapshots and deltas are stored with their signatures, one publication per
list version, written in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mamoru.auth.models import User
from mamoru.db import Base, UTCDateTime, utcnow


class BlocklistEntry(Base):
    __tablename__ = "blocklist_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # url | host | domain
    value: Mapped[str] = mapped_column(Text)  # canonical URL or host name
    value_key: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256 of "kind:value"
    entered_as: Mapped[str] = mapped_column(Text, default="")  # as the proposer typed it
    category: Mapped[str] = mapped_column(String(64))
    case_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)  # hotline case reference
    reason: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True, default="proposed")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_on: Mapped[date] = mapped_column(Date)
    added_version: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    removed_version: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_reason: Mapped[str] = mapped_column(Text, default="")

    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])


class BlocklistVersion(Base):
    """One change of the active list: each increments the version by one."""

    __tablename__ = "blocklist_versions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # add | remove
    entry_id: Mapped[int] = mapped_column(ForeignKey("blocklist_entries.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class BlocklistAppeal(Base):
    __tablename__ = "blocklist_appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blocklist_entries.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    appellant: Mapped[str] = mapped_column(String(200))
    grounds: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | upheld | rejected
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[BlocklistEntry] = relationship()


class BlocklistPublication(Base):
    __tablename__ = "blocklist_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    previous_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    entry_count: Mapped[int] = mapped_column(Integer)


class BlocklistArtifact(Base):
    """A signed file of a publication: the snapshot in one format, or the delta from the previous one."""

    __tablename__ = "blocklist_artifacts"
    __table_args__ = (UniqueConstraint("publication_id", "kind", "format", name="uq_blocklist_artifacts_file"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("blocklist_publications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # snapshot | delta
    format: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, index=True)
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class FeedAccess(Base):
    """Who fetched which version of which file through the feed (no client address)."""

    __tablename__ = "blocklist_feed_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # snapshot | snapshot.sig | delta | delta.sig | delta-index
    format: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[int] = mapped_column(Integer)  # 200, or 304 when the subscriber was current


class BlocklistSubscription(Base):
    """What a subscriber may fetch from the feed, set by an administrator: `plaintext` (every format:
    rpz, hosts, csv, json, hashed, and the deltas) or `hashed` (the hashed list and its signature
    only). A subscriber without a row has `plaintext`."""

    __tablename__ = "blocklist_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    entitlement: Mapped[str] = mapped_column(String(16))  # plaintext | hashed
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
