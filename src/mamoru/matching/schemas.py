"""JSON shapes of the banks API for hotline staff (the OpenAPI document describes them).

Platforms match through `/api/v1/match` and never see these; these are for analysts, senior
analysts, administrators and auditors looking after the banks: what a bank is, what an import
stored, one entry with who added or disabled it, and which banks a platform matches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mamoru.matching.models import HashBank, HashBankEntry

Signal = Literal["pdq", "md5", "sha1", "sha256"]
Source = Literal["own_hotline", "partner", "imported"]
ImportFormat = Literal["lines", "csv", "te", "vic"]
EXPORT_MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "lines": "text/plain; charset=utf-8",
    "te": "text/plain; charset=utf-8",
    "vic": "application/json",
}


class HashBankIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    name: str = Field(..., min_length=1, max_length=100, description="Unique; 1 to 100 characters.")
    description: str = Field("", max_length=2000, description="What the bank holds.")
    owner_organisation: str = Field("", max_length=200, description="The organisation that owns the hashes.")
    source: Source = Field("own_hotline", description="Where the hashes come from.")


class HashBankOut(BaseModel):
    id: int
    name: str
    description: str
    owner_organisation: str
    source: Source
    created_at: datetime
    created_by: str | None = Field(description="Username; null when created on the command line.")
    live_entries: int = Field(description="Entries that are not disabled.")

    @classmethod
    def of(cls, bank: HashBank, live_entries: int) -> HashBankOut:
        return cls(id=bank.id, name=bank.name, description=bank.description,
                   owner_organisation=bank.owner_organisation, source=bank.source,  # type: ignore[arg-type]
                   created_at=bank.created_at,
                   created_by=bank.created_by.username if bank.created_by else None, live_entries=live_entries)


class BankImportOut(BaseModel):
    bank: str
    imported: int = Field(description="Entries stored (a hash given twice in the file is stored once).")
    already: int = Field(0, description="Hashes the bank already held (enabled or disabled): not stored again.")
    version: int = Field(description="The bank data version that carries them.")


class BankEntryOut(BaseModel):
    id: int
    bank: str
    signal: Signal
    hash: str = Field(description="Lower-case hex.")
    category: str
    case_ref: str | None
    item: str | None = Field(description="Groups the hashes of one image (`mamoru hash --for-bank`).")
    added_by: str | None
    added_at: datetime
    expires_at: datetime | None
    disabled: bool
    disabled_at: datetime | None
    disabled_by: str | None
    disabled_reason: str
    changed_version: int

    @classmethod
    def of(cls, e: HashBankEntry, names: dict[int, str]) -> BankEntryOut:
        return cls(id=e.id, bank=e.bank.name, signal=e.signal, hash=e.hash,  # type: ignore[arg-type]
                   category=e.category, case_ref=e.case_ref, item=e.item,
                   added_by=names.get(e.added_by_id) if e.added_by_id else None, added_at=e.added_at,
                   expires_at=e.expires_at, disabled=e.disabled_at is not None, disabled_at=e.disabled_at,
                   disabled_by=names.get(e.disabled_by_id) if e.disabled_by_id else None,
                   disabled_reason=e.disabled_reason, changed_version=e.changed_version)


class EntryDisableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        ..., description="Why the entry stops matching (kept in the audit log).")


class PlatformBanksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    banks: list[str] = Field(..., max_length=200, description="Bank names; replaces the current choice. "
                             "An empty list: the platform matches nothing.")
    show_labels: bool = Field(False, description="Whether the platform sees category labels in matches.")


class PlatformBanksOut(BaseModel):
    platform: str
    banks: list[str]
    show_labels: bool
