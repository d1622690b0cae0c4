"""Database models of the hotline.

A `HotlineCase` exists once per canonical URL; every `Report` of that URL joins it. Nothing here
holds reported content: URLs, what reporters wrote, assessments, hashes, and the trail of actions
(referrals, deletion requests, removal checks). Reporters' IP addresses are never stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mamoru.db import Base, UTCDateTime, utcnow


class HotlineCase(Base):
    __tablename__ = "hl_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(Text)  # as first reported, port included: what removal checks request
    status: Mapped[str] = mapped_column(String(24), index=True, default="queued")
    priority: Mapped[int] = mapped_column(Integer, default=0, index=True)
    immediate_danger: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)  # some report came from a trusted flagger
    content_type: Mapped[str] = mapped_column(String(32), default="")  # as stated by the first report
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(24), nullable=True)
    first_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hosting_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    labelled_from_case_id: Mapped[int | None] = mapped_column(ForeignKey("hl_cases.id"), nullable=True)
    # tracing
    addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    network: Mapped[str | None] = mapped_column(String(200), nullable=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("hl_providers.id"), nullable=True)
    traced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # police and child protection
    police_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    police_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    guidance_route: Mapped[str] = mapped_column(Text, default="")  # route to the child guidance centre
    # action and verification
    first_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_check_outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    first_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reappearances: Mapped[int] = mapped_column(Integer, default=0)
    # Removal counts only when two checks at least 12 hours apart agree (workflow.removal_check_step):
    # the first "gone" answer of a run ("removal seen once, to confirm"; a "present" answer clears it),
    removal_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the second one, for a URL that reappeared before: an analyst confirms (service.confirm_removal),
    removal_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # and when and by whom the removal was confirmed ("checks", or the analyst): what the blocking list follows.
    removal_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removal_confirmed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The worker's last failure on this case (automation.run_due): which job (alert, notice, check),
    # what went wrong, when, how many times in a row, and when that job is tried again (backoff).
    work_error_job: Mapped[str | None] = mapped_column(String(16), nullable=True)
    work_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    work_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    work_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    work_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    assigned_to = relationship("User", foreign_keys=[assigned_to_id])
    provider: Mapped[Provider | None] = relationship()
    reports: Mapped[list[Report]] = relationship(back_populates="case", order_by="Report.id")
    assessments: Mapped[list[Assessment]] = relationship(back_populates="case", order_by="Assessment.id")
    events: Mapped[list[CaseEvent]] = relationship(order_by="CaseEvent.id")

    @property
    def number(self) -> str:
        return f"C{self.id:07d}"


class Report(Base):
    """One report as the reporter entered it (the contact sealed, and cleared after the retention
    period). No client address is kept."""

    __tablename__ = "hl_reports"
    __table_args__ = (UniqueConstraint("flagger_id", "client_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32), unique=True)  # hotline.receipts
    case_id: Mapped[int] = mapped_column(ForeignKey("hl_cases.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(16))  # public, flagger, partner
    url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(32), default="")
    where_found: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Sealed (hotline/contacts.py): "hlc1:<key id>:<ciphertext>"; plain only in rows from before hl0002.
    contact: Mapped[str] = mapped_column(Text, default="")
    # When the contact held was received (the purge's clock); null when none is held.
    contact_kept_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    contact_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    immediate_danger: Mapped[bool] = mapped_column(Boolean, default=False)
    flagger_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    client_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    partner: Mapped[str] = mapped_column(String(100), default="")  # partner hotline of a CSV import
    auto_verdict: Mapped[str | None] = mapped_column(String(24), nullable=True)  # labelled from an earlier assessment
    case: Mapped[HotlineCase] = relationship(back_populates="reports")


class Assessment(Base):
    __tablename__ = "hl_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hl_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    analyst: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(24))
    legal_basis: Mapped[str | None] = mapped_column(String(64), nullable=True)  # DefinitionTerm.code
    content_type: Mapped[str] = mapped_column(String(32), default="")
    severity: Mapped[str | None] = mapped_column(String(32), nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(32), nullable=True)
    hosting_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="analyst")  # analyst, qa_overturn, automatic
    overturns_id: Mapped[int | None] = mapped_column(ForeignKey("hl_assessments.id"), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # QA: senior analyst
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # upheld, overturned
    review_reason: Mapped[str] = mapped_column(Text, default="")
    case: Mapped[HotlineCase] = relationship(back_populates="assessments")


class Label(Base):
    """Configurable labels for assessments: severity and age band."""

    __tablename__ = "hl_labels"
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # severity, age_band
    code: Mapped[str] = mapped_column(String(32))
    title_en: Mapped[str] = mapped_column(String(200))
    title_ja: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ContentHash(Base):
    """A hash the analyst's environment computed of content it viewed (never the content)."""

    __tablename__ = "hl_hashes"
    __table_args__ = (UniqueConstraint("case_id", "algorithm", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hl_cases.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))  # pdq, md5, sha256
    value: Mapped[str] = mapped_column(String(128), index=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(Base):
    """What happened to a case and when: status changes, alerts, holds, checks that changed something."""

    __tablename__ = "hl_case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hl_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64), default="system")
    from_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class PoliceReferral(Base):
    __tablename__ = "hl_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hl_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    police_unit: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")  # the police's own reference
    hold_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")


class PartnerForward(Base):
    """Material hosted abroad: the record forwarded to that country's partner hotline."""

    __tablename__ = "hl_forwards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hl_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    partner: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(100), default="")


class DeletionRequest(Base):
    """A deletion request sent to the site or host (initial, re-send or escalation)."""

    __tablename__ = "hl_deletion_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hl_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # initial, resend, escalation, reappeared
    to: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    message_id: Mapped[str] = mapped_column(String(200))
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")  # the mail library's words (English)
    # Why delivery failed, as a code of vocabulary.MAIL_ERROR with its values, shown in the reader's
    # language; empty in rows from before hl0006 (the page then shows `error`).
    error_reason: Mapped[str] = mapped_column(String(32), default="", server_default="")
    error_params: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)


class RemovalCheck(Base):
    __tablename__ = "hl_removal_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hl_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))  # present, removed, error, refused
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    method: Mapped[str] = mapped_column(String(8), default="HEAD")
    redirects: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[str] = mapped_column(Text, default="")  # the checker's words (English)
    # Why the check said neither present nor removed, as a code of vocabulary.CHECK_REASON with its
    # values, shown in the reader's language; empty in rows from before hl0006 (the page shows `detail`).
    reason: Mapped[str] = mapped_column(String(32), default="", server_default="")
    reason_params: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    by: Mapped[str] = mapped_column(String(64), default="system", server_default="system")  # or the analyst who asked


class Provider(Base):
    """A hosting provider or site operator with its abuse contact and the language to write in."""

    __tablename__ = "hl_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2), default="JP")
    abuse_email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="ja")
    networks: Mapped[list[str]] = mapped_column(JSON, default=list)  # network names from the IP data
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)  # sites it operates


class IpRange(Base):
    """One row of the imported IP-range data: addresses as 32 hex digits (IPv4 mapped into IPv6)."""

    __tablename__ = "hl_ip_ranges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first: Mapped[str] = mapped_column(String(32), index=True)
    last: Mapped[str] = mapped_column(String(32))
    network: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    asn: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RateCounter(Base):
    """Shared rate-limit store for several processes: a keyed hash of the client, never its address,
    with a short expiry."""

    __tablename__ = "hl_rate_counters"
    __table_args__ = (UniqueConstraint("key", "window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    window: Mapped[int] = mapped_column(Integer)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class InboxReport(Base):
    """A report accepted by a process that may not touch cases (the public intake, a platform's match
    report through the matcher): written once, never read there. The hotline worker turns each row
    into a report and case (`hotline.inbox.drain`) with the same receipt and deletes it, in one
    transaction. Nothing here says anything about cases; the contact is already sealed."""

    __tablename__ = "hl_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32), unique=True)  # hotline.receipts
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # public, platform
    url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(32), default="")
    where_found: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(Text, default="")  # sealed (hotline/contacts.py), or empty
    immediate_danger: Mapped[bool] = mapped_column(Boolean, default=False)
    # A platform's match report: the account, and the matches the server re-checked (bank, entry, distance).
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    matches: Mapped[list[dict[str, object]] | None] = mapped_column(JSON, nullable=True)
