"""JSON shapes of the hotline API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mamoru.hotline import vocabulary
from mamoru.hotline.contacts import ContactView
from mamoru.hotline.models import Assessment, HotlineCase, RemovalCheck, Report


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    url: str = Field(..., description="The address as found; kept exactly as given.")
    content_type: str = Field("", description="image, video, live, text or other")
    where_found: str = ""
    description: str = ""
    contact: str = ""
    immediate_danger: bool = False
    client_key: str | None = Field(None, description="The flagger's own key: sending it again returns the same report.")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reports: list[ReportIn]


class ReportOut(BaseModel):
    receipt: str
    case: str
    received_at: datetime
    labelled: str | None = Field(None, description="Verdict taken from an earlier assessment of the same URL.")
    client_key: str | None = None

    @classmethod
    def of(cls, r: Report) -> ReportOut:
        return cls(receipt=r.receipt, case=f"C{r.case_id:07d}", received_at=r.received_at, labelled=r.auto_verdict,
                   client_key=r.client_key)


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    verdict: str
    legal_basis: str | None = None
    content_type: str = ""
    severity: str | None = None
    age_band: str | None = None
    hosting_country: str | None = None
    note: str = ""


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    police_unit: str = ""
    reference: str = ""
    hold: bool = False
    note: str = ""


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    hold: bool
    reason: str = ""


class ForwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    partner: str
    reference: str = ""


class HashIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    algorithm: str
    value: str


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    username: str | None = None
    me: bool = False  # true: the caller takes the case (username is then ignored)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    upheld: bool
    reason: str = ""
    new_verdict: str | None = None
    legal_basis: str | None = None


class LabelIn(BaseModel):
    """Fields of an assessment label to set; a field left out stays as it is (a new label needs a title)."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    title_en: str | None = Field(None, max_length=200)
    title_ja: str | None = Field(None, max_length=200)
    position: int | None = Field(None, ge=0, le=10_000, description="Order in the assessment form.")
    active: bool | None = Field(None, description="False retires the label: kept on earlier assessments, no longer offered.")


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    name: str
    abuse_email: str
    language: str = "ja"
    country: str = "JP"
    networks: list[str] = []
    domains: list[str] = []


class RemovalConfirmationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    note: str = Field("", max_length=2000, description="What the analyst saw (kept with the audit event).")


def assessment_out(a: Assessment) -> dict[str, Any]:
    return {"id": a.id, "at": a.at, "analyst": a.analyst, "verdict": a.verdict, "legal_basis": a.legal_basis,
            "content_type": a.content_type, "severity": a.severity, "age_band": a.age_band,
            "hosting_country": a.hosting_country, "kind": a.kind, "review": a.review_outcome,
            "reviewed_by": a.reviewed_by, "review_reason": a.review_reason}


def report_out(r: Report, contact: ContactView) -> dict[str, Any]:
    """One report as an analyst sees it; contact_state says whether the contact was sealed, stored
    plain (before sealing began), purged after the retention period, unreadable, or none was given."""
    return {"receipt": r.receipt, "received_at": r.received_at, "source": r.source, "url": r.url,
            "content_type": r.content_type, "where_found": r.where_found, "description": r.description,
            "immediate_danger": r.immediate_danger, "partner": r.partner, "contact": contact.text,
            "contact_state": contact.state, "contact_purged_at": r.contact_purged_at}


def case_out(c: HotlineCase, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id, "number": c.number, "status": c.status, "url": c.url, "canonical_url": c.canonical_url,
        "priority": c.priority, "immediate_danger": c.immediate_danger, "trusted": c.trusted,
        "report_count": c.report_count, "opened_at": c.opened_at, "due_at": c.due_at, "verdict": c.verdict,
        "hosting_country": c.hosting_country, "police_hold": c.police_hold, "removed_at": c.removed_at,
        "reappearances": c.reappearances, "last_check_outcome": c.last_check_outcome,
        "removal_seen_at": c.removal_seen_at, "removal_awaits_analyst": c.removal_agreed_at is not None,
        "removal_confirmed_at": c.removal_confirmed_at, "removal_confirmed_by": c.removal_confirmed_by,
        "work_error": ({"job": c.work_error_job, "error": c.work_error, "at": c.work_error_at,
                        "attempts": c.work_attempts, "retry_at": c.work_retry_at} if c.work_error_job else None),
        "assigned_to": c.assigned_to.username if c.assigned_to else None,
    }
    if full:
        out["assessments"] = [assessment_out(a) for a in c.assessments]
        out["events"] = [{"at": e.at, "kind": e.kind, "actor": e.actor, "from": e.from_status, "to": e.to_status,
                          "detail": e.detail} for e in c.events]
        out["trace"] = {"addresses": c.addresses, "network": c.network,
                        "provider": c.provider.name if c.provider else None}
    return out


def check_out(row: RemovalCheck, lang: str = "en") -> dict[str, Any]:
    """One removal check: the outcome code, and why in words (`reason_text`, in `lang`)."""
    return {"id": row.id, "at": row.at, "outcome": row.outcome, "status_code": row.status_code, "method": row.method,
            "redirects": row.redirects, "reason": row.reason or None, "reason_params": row.reason_params or {},
            "reason_text": vocabulary.reason_text("check", row.reason, row.reason_params, row.detail, lang),
            "detail": row.detail, "by": row.by}
