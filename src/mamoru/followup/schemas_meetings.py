"""API shapes of bodies, meetings, decisions and action items, and of the WePROTECT alignment (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mamoru.followup.alignment import Coverage
from mamoru.followup.models import ActionItem, BodyProfile, Decision, MaturityAssessment, Meeting
from mamoru.plan.models import Body


class BodyNameOut(BaseModel):
    name_en: str
    name_ja: str
    valid_from: str = Field(description="ISO date, or empty when not known.")
    valid_to: str = Field(description="ISO date, or empty for the current name.")


class BodyOut(BaseModel):
    key: str
    name_en: str
    name_ja: str
    kind: str
    chair_en: str
    chair_ja: str
    secretariat: str | None = Field(description="Agency code of the secretariat.")
    names: list[BodyNameOut] = Field(description="Names over time, oldest first.")


class BodyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    chair_en: str | None = None
    chair_ja: str | None = None
    secretariat: str | None = Field(None, description="Agency code.")
    new_name_en: str | None = Field(None, description="Rename the body from `renamed_on`; the old name is kept.")
    new_name_ja: str | None = None
    renamed_on: date | None = None


def body_out(b: Body, p: BodyProfile | None) -> BodyOut:
    return BodyOut(key=b.key, name_en=b.name_en, name_ja=b.name_ja, kind=p.kind if p else "",
                   chair_en=p.chair_en if p else "", chair_ja=p.chair_ja if p else "",
                   secretariat=p.secretariat.code if p and p.secretariat else None,
                   names=[BodyNameOut(name_en=n.get("name_en", ""), name_ja=n.get("name_ja", ""),
                                      valid_from=str(n.get("from") or ""), valid_to=str(n.get("to") or ""))
                          for n in (p.names if p else [])])


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    name: str
    title: str = ""
    agency: str = ""


class AgendaItem(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    en: str = ""
    ja: str = ""


class Material(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    title: str = ""
    url: str = Field(description="http(s) address of the published material.")


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    held_on: date
    number: int | None = None
    title_en: str = ""
    title_ja: str = ""
    bodies: list[str] = Field(description="Body keys; several for a joint meeting.")
    attendees: list[Attendee] = []
    agenda: list[AgendaItem] = []
    materials: list[Material] = []


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    kind: str = Field(description="adopt_plan, approve_round_report, amend_founding_decision or other")
    text_en: str = ""
    text_ja: str = ""
    round_id: int | None = Field(None, description="The round whose report was approved.")
    plan_id: int | None = None


class DecisionOut(DecisionIn):
    id: int
    withdrawn_at: datetime | None = Field(None, description="When the decision was withdrawn (the reason is in "
                                                            "the meeting's corrections); null while it stands.")


class WithdrawIn(BaseModel):
    """Withdrawing a mistaken decision or action item: it is kept, marked withdrawn, with the reason."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(description="Why it is withdrawn; kept in the meeting's corrections.")


class DecisionPatch(BaseModel):
    """A correction of a decision: the fields to change (those left out keep their value) and why."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(description="Why the decision is corrected; kept with the correction.")
    kind: str | None = Field(None, description="adopt_plan, approve_round_report, amend_founding_decision or other")
    text_en: str | None = None
    text_ja: str | None = None
    round_id: int | None = Field(None, description="The round whose report was approved (null: none).")
    plan_id: int | None = None


class MeetingPatch(BaseModel):
    """A correction of a meeting's record: the fields to change (those left out keep their value) and why."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    reason: str = Field(description="Why the record is corrected; kept with the correction.")
    held_on: date | None = None
    number: int | None = Field(None, description="The meeting's number (null: none).")
    title_en: str | None = None
    title_ja: str | None = None
    bodies: list[str] | None = Field(None, description="Body keys; several for a joint meeting.")
    attendees: list[Attendee] | None = None
    agenda: list[AgendaItem] | None = None
    materials: list[Material] | None = None


NULLABLE = {"number", "round_id", "plan_id"}


def patch_values(body: MeetingPatch | DecisionPatch) -> dict[str, Any]:
    """The fields a correction sets (an explicit null only where a field may be empty)."""
    values = body.model_dump(exclude_unset=True, exclude={"reason"})
    return {k: v for k, v in values.items() if v is not None or k in NULLABLE}


class CorrectionOut(BaseModel):
    id: int
    decision_id: int | None = Field(description="The decision corrected; null for the meeting's own record.")
    action_id: int | None = Field(None, description="The action item withdrawn, if the correction is about one.")
    reason: str
    changes: dict[str, list[Any]] = Field(description="field -> [before, after]")
    by: str
    at: datetime


class ActionItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    text_en: str = ""
    text_ja: str = ""
    measure: str | None = Field(None, description="Stable id of the measure the item serves.")
    owner: str | None = Field(None, description="Code of the owner agency.")
    due_on: date | None = None


class ActionItemPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    done: bool


class ActionItemOut(BaseModel):
    id: int
    meeting_id: int
    text_en: str
    text_ja: str
    measure: str | None
    owner: str | None
    due_on: date | None
    done: bool
    overdue: bool
    withdrawn_at: datetime | None = Field(None, description="When the item was withdrawn; null while it stands.")


class MeetingOut(BaseModel):
    id: int
    number: int | None
    held_on: date
    title_en: str
    title_ja: str
    bodies: list[str]
    joint: bool
    attendees: list[dict[str, Any]]
    agenda: list[dict[str, Any]]
    materials: list[dict[str, Any]]
    decisions: list[DecisionOut]
    actions: list[ActionItemOut]
    corrections: list[CorrectionOut] = Field(description="Corrections of the record and its decisions, oldest first.")


def decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(id=d.id, kind=d.kind, text_en=d.text_en, text_ja=d.text_ja, round_id=d.round_id,
                       plan_id=d.plan_id, withdrawn_at=d.withdrawn_at)


def action_out(a: ActionItem, today: date) -> ActionItemOut:
    return ActionItemOut(id=a.id, meeting_id=a.meeting_id, text_en=a.text_en, text_ja=a.text_ja,
                         measure=a.measure.uid if a.measure else None, owner=a.owner.code if a.owner else None,
                         due_on=a.due_on, done=a.done, withdrawn_at=a.withdrawn_at,
                         overdue=bool(not a.done and a.withdrawn_at is None and a.due_on and a.due_on < today))


def meeting_out(m: Meeting, today: date) -> MeetingOut:
    return MeetingOut(id=m.id, number=m.number, held_on=m.held_on, title_en=m.title_en, title_ja=m.title_ja,
                      bodies=list(m.body_keys), joint=len(m.body_keys) > 1, attendees=list(m.attendees or []),
                      agenda=list(m.agenda or []), materials=list(m.materials or []),
                      decisions=[decision_out(d) for d in m.decisions], actions=[action_out(a, today) for a in m.actions],
                      corrections=[CorrectionOut(id=c.id, decision_id=c.decision_id, action_id=c.action_id,
                                                 reason=c.reason,
                                                 changes=dict(c.changes), by=c.by, at=c.at) for c in m.corrections])


# --- WePROTECT alignment -------------------------------------------------------------------------

class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a 422, not ignored

    phase: int = Field(description="1 building, 2 developing, 3 established, 4 maturity")
    assessed_on: date
    note: str = ""


class AssessmentOut(AssessmentIn):
    by: str


class CapabilityOut(BaseModel):
    number: int
    domain_key: str
    domain_en: str
    domain_ja: str
    title_en: str
    title_ja: str
    measures: list[str] = Field(description="Stable ids of the measures mapped to it.")
    proposed: list[str] = Field(description="Those of `measures` whose link is proposed (shipped with the "
                                            "reference data), not yet confirmed by the plan office.")
    maturity: AssessmentOut | None = Field(description="The latest self-assessment.")
    history: list[AssessmentOut] = Field(description="Every self-assessment, oldest first.")


class CoverageOut(BaseModel):
    capabilities: list[CapabilityOut]
    uncovered: list[int] = Field(description="Numbers of the capabilities no measure addresses.")
    proposed_links: int = Field(description="Links still proposed, waiting for the plan office to confirm them.")


class ConfirmedOut(CoverageOut):
    confirmed: int = Field(description="How many proposed links this call confirmed.")


def _assessment(a: MaturityAssessment) -> AssessmentOut:
    return AssessmentOut(phase=a.phase, assessed_on=a.assessed_on, note=a.note, by=a.by)


def coverage_out(cov: list[Coverage]) -> CoverageOut:
    caps = [CapabilityOut(number=c.capability.number, domain_key=c.capability.domain_key,
                          domain_en=c.capability.domain_en, domain_ja=c.capability.domain_ja,
                          title_en=c.capability.title_en, title_ja=c.capability.title_ja,
                          measures=[m.uid for m in c.measures],
                          proposed=[m.uid for m in c.measures if m.id in c.proposed],
                          maturity=_assessment(c.maturity) if c.maturity else None,
                          history=[_assessment(a) for a in c.history]) for c in cov]
    return CoverageOut(capabilities=caps, uncovered=[c.number for c in caps if not c.measures],
                       proposed_links=sum(len(c.proposed) for c in cov))
