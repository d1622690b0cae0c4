"""JSON shapes of the staff API of the blocking list (the OpenAPI document describes them).

The subscriber feed serves files, not these shapes; these are for hotline analysts, senior analysts
and administrators working on entries, appeals, versions and publications.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mamoru.blocklist.delta import Delta
from mamoru.blocklist.models import BlocklistAppeal, BlocklistEntry, BlocklistPublication

Criterion = Literal["purpose", "confirmed", "same-operator", "no-alternative"]


class BlocklistEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    kind: Literal["url", "host", "domain"] = Field(..., description="url: one canonical URL (URL-capable formats "
                                                   "only); host: that name only; domain: the domain and every subdomain.")
    value: str = Field(..., description="The URL or name as found; its canonical form is listed.")
    reason: str = Field("", description="Why it is listed; may be empty when case_ref is given.")
    criteria: list[Criterion] = Field(default_factory=list, description="Listing criteria met; a domain needs all four.")
    category: str = Field("csam", description="Category label.")
    case_ref: str | None = Field(None, description="The hotline case it comes from.")


class BlocklistEntryOut(BaseModel):
    id: int
    kind: str
    value: str
    status: Literal["proposed", "active", "rejected", "removed"]
    category: str
    case_ref: str | None
    reason: str
    criteria: list[str]
    proposed_by: str
    proposed_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None
    review_on: date
    added_version: int | None
    removed_version: int | None
    closed_reason: str

    @classmethod
    def of(cls, e: BlocklistEntry) -> BlocklistEntryOut:
        return cls(id=e.id, kind=e.kind, value=e.value, status=e.status, category=e.category,  # type: ignore[arg-type]
                   case_ref=e.case_ref, reason=e.reason, criteria=list(e.criteria or []),
                   proposed_by=e.proposed_by.username, proposed_at=e.proposed_at,
                   confirmed_by=e.confirmed_by.username if e.confirmed_by else None, confirmed_at=e.confirmed_at,
                   review_on=e.review_on, added_version=e.added_version, removed_version=e.removed_version,
                   closed_reason=e.closed_reason)


class BlocklistReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(..., min_length=1)


class BlocklistRemoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field("", description="Why it leaves the list (not needed with content_removed).")
    content_removed: bool = Field(False, description="The hotline verified the content is gone.")


class BlocklistReverifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    next_review: date = Field(..., description="The next review date (in the future).")


class BlocklistAppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    appellant: str = Field(..., min_length=1, description="Who appeals (site owner, operator, their lawyer).")
    grounds: str = Field(..., min_length=1)


class BlocklistDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    upheld: bool = Field(..., description="true removes the entry from the list; false dismisses the appeal.")
    reason: str = Field(..., min_length=1)


class BlocklistAppealOut(BaseModel):
    id: int
    entry_id: int
    received_at: datetime
    appellant: str
    grounds: str
    status: Literal["pending", "upheld", "rejected"]
    decided_at: datetime | None
    decision_reason: str

    @classmethod
    def of(cls, a: BlocklistAppeal) -> BlocklistAppealOut:
        return cls(id=a.id, entry_id=a.entry_id, received_at=a.received_at, appellant=a.appellant, grounds=a.grounds,
                   status=a.status, decided_at=a.decided_at, decision_reason=a.decision_reason)  # type: ignore[arg-type]


class BlocklistListedOut(BaseModel):
    id: int
    kind: str
    value: str
    category: str


class BlocklistCompareOut(BaseModel):
    from_version: int
    to_version: int
    added: list[BlocklistListedOut]
    removed: list[int] = Field(..., description="Ids of entries no longer on the list.")

    @classmethod
    def of(cls, d: Delta) -> BlocklistCompareOut:
        return cls(from_version=d.from_version, to_version=d.to_version, removed=list(d.removed),
                   added=[BlocklistListedOut(id=e.id, kind=e.kind, value=e.value, category=e.category) for e in d.added])


class BlocklistVersionOut(BaseModel):
    version: int
    published_version: int | None


class BlocklistPublicationOut(BaseModel):
    version: int
    previous_version: int | None
    published_at: datetime
    published_by: str
    key_id: str
    entry_count: int

    @classmethod
    def of(cls, p: BlocklistPublication) -> BlocklistPublicationOut:
        return cls(version=p.version, previous_version=p.previous_version, published_at=p.published_at,
                   published_by=p.published_by, key_id=p.key_id, entry_count=p.entry_count)


class BlocklistSubscriberIn(BaseModel):
    model_config = {"extra": "forbid"}  # an unknown field is a 422, not ignored

    entitlement: Literal["plaintext", "hashed"] = Field(
        ..., description="plaintext: every format (rpz, hosts, csv, json, hashed) and the deltas; "
                         "hashed: the hashed list and its signature only.")


class BlocklistSubscriberOut(BaseModel):
    username: str
    entitlement: Literal["plaintext", "hashed"]
