"""Awareness material that ministries publish (filtering, safe internet use), linked from the measure
that produces it, and its life: added as a draft, edited, published to the portal or taken off it, and
retired for good (kept, never shown again).

Who may change it follows the rule material had from the start: the plan office any material; an
agency officer the material of their own agency's measures (a measure their agency is responsible
for, as the plan wrote it or answering today after a succession). Every change is audited.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup.models import AwarenessMaterial
from mamoru.plan.models import Agency, Measure

_URL = re.compile(r"^https?://[^\s]+$")
AUDIENCES = ("children", "families", "schools", "businesses")
STATES = ("draft", "published", "retired")
FIELDS = ("measure", "agency", "title_en", "title_ja", "url", "audience")


def state_of(material: AwarenessMaterial) -> str:
    """draft (not on the portal), published, or retired (withdrawn for good)."""
    if material.retired_at is not None:
        return "retired"
    return "published" if material.published else "draft"


def materials(session: Session, published_only: bool = False, state: str | None = None) -> list[AwarenessMaterial]:
    """Material by measure; the portal asks for published material only (one statement plus two loads)."""
    stmt = (select(AwarenessMaterial).order_by(AwarenessMaterial.measure_id, AwarenessMaterial.id)
            .options(selectinload(AwarenessMaterial.measure), selectinload(AwarenessMaterial.agency)))
    if published_only or state == "published":
        stmt = stmt.where(AwarenessMaterial.published.is_(True), AwarenessMaterial.retired_at.is_(None))
    elif state == "draft":
        stmt = stmt.where(AwarenessMaterial.published.is_(False), AwarenessMaterial.retired_at.is_(None))
    elif state == "retired":
        stmt = stmt.where(AwarenessMaterial.retired_at.is_not(None))
    return list(session.scalars(stmt))


def sees_drafts(actor: User | None) -> bool:
    """Staff of the plan office, the agencies, audit and administration see material before it is published."""
    return actor is not None and actor.role in (roles.COORDINATOR, roles.AGENCY_OFFICER, roles.AUDITOR,
                                                roles.ADMINISTRATOR)


def for_measure(session: Session, measure: Measure, include_drafts: bool = False) -> list[AwarenessMaterial]:
    """The material a measure produces, for its page: published material, and drafts too when asked
    (for staff); retired material never (one statement plus one load)."""
    stmt = (select(AwarenessMaterial).where(AwarenessMaterial.measure_id == measure.id,
                                            AwarenessMaterial.retired_at.is_(None))
            .order_by(AwarenessMaterial.id).options(selectinload(AwarenessMaterial.agency)))
    if not include_drafts:
        stmt = stmt.where(AwarenessMaterial.published.is_(True))
    return list(session.scalars(stmt))


def get_material(session: Session, material_id: int) -> AwarenessMaterial:
    m = session.get(AwarenessMaterial, material_id)
    if m is None:
        raise NotFound(f"no awareness material {material_id}")
    return m


def material_to_change(session: Session, actor: User | None, material_id: int) -> AwarenessMaterial:
    """The material, once the actor is known to keep material at all (refused before a missing id is told)."""
    _officer_agency(session, actor)
    material = get_material(session, material_id)
    _check(session, actor, material)
    return material


def _responsible(measure: Measure, agency: Agency) -> bool:
    today = date.today()
    return any(a.agency_id == agency.id or a.agency_on(today).id == agency.id for a in measure.assignments)


def _officer_agency(session: Session, actor: User | None) -> Agency | None:
    """The officer's agency; None for the plan office and the command line; refuses everyone else."""
    if actor is None or actor.role == roles.COORDINATOR:
        return None
    if actor.role == roles.AGENCY_OFFICER:
        agency = session.scalar(select(Agency).where(Agency.code == actor.agency_code))
        if agency is not None:
            return agency
    raise PermissionDenied("awareness material is kept by the plan office or the measure's agency")


def _owns(own: Agency | None, material: AwarenessMaterial) -> bool:
    """The plan office (own is None), or an officer of the agency that publishes it (or, if none is named,
    of an agency responsible for its measure)."""
    if own is None:
        return True
    if material.agency_id is not None:
        return material.agency_id == own.id
    return material.measure is not None and _responsible(material.measure, own)


def _check(session: Session, actor: User | None, material: AwarenessMaterial) -> None:
    if not _owns(_officer_agency(session, actor), material):
        raise PermissionDenied("an agency officer changes their own agency's material only")


def changeable(session: Session, actor: User | None, rows: list[AwarenessMaterial]) -> set[int]:
    """Ids of the material among rows that the actor may change (for the pages' buttons)."""
    try:
        own = _officer_agency(session, actor)
    except PermissionDenied:
        return set()
    return {m.id for m in rows if _owns(own, m)}


def linkable(session: Session, actor: User | None, measures: list[Measure]) -> list[Measure]:
    """The measures the actor may link material to: all for the plan office, their own for an officer."""
    try:
        own = _officer_agency(session, actor)
    except PermissionDenied:
        return []
    return [m for m in measures if own is None or _responsible(m, own)]


def _validate(session: Session, values: dict[str, Any]) -> tuple[list[Problem], Measure | None, Agency | None]:
    problems = [Problem(None, k, "not a field of awareness material") for k in values if k not in FIELDS]
    uid, code = values.get("measure"), values.get("agency")
    measure = session.scalar(select(Measure).where(Measure.uid == uid)) if uid else None
    agency = session.scalar(select(Agency).where(Agency.code == str(code).upper())) if code else None
    if uid and measure is None:
        problems.append(Problem(None, "measure", f"no measure {uid!r}"))
    if code and agency is None:
        problems.append(Problem(None, "agency", f"no agency {code!r}"))
    if "url" in values and not _URL.match(str(values["url"] or "").strip()):
        problems.append(Problem(None, "url", "an http(s) address"))
    if ("title_en" in values or "title_ja" in values) and not (
            str(values.get("title_ja") or "").strip() or str(values.get("title_en") or "").strip()):
        problems.append(Problem(None, "title", "a title in at least one language"))
    if "audience" in values and values["audience"] not in AUDIENCES:
        problems.append(Problem(None, "audience", f"one of {', '.join(AUDIENCES)}"))
    return problems, measure, agency


def _officer_scope(own: Agency | None, measure: Measure | None, agency: Agency | None) -> Agency | None:
    """The publishing agency to record; an officer links material to their own agency's measures only."""
    if own is None:
        return agency
    if measure is None or not _responsible(measure, own) or (agency is not None and agency.id != own.id):
        raise PermissionDenied("an agency officer links material to their own agency's measures")
    return own


def add_material(session: Session, actor: User | None, measure_uid: str | None, title_en: str, title_ja: str,
                 url: str, audience: str = "families", agency_code: str | None = None) -> AwarenessMaterial:
    """Add material as a draft: the portal shows it once it is published."""
    own = _officer_agency(session, actor)
    values = {"measure": measure_uid, "agency": agency_code, "title_en": title_en, "title_ja": title_ja,
              "url": url, "audience": audience}
    problems, measure, agency = _validate(session, values)
    if problems:
        raise InvalidInput(problems)
    agency = _officer_scope(own, measure, agency)
    mat = AwarenessMaterial(measure_id=measure.id if measure else None, agency_id=agency.id if agency else None,
                            title_en=title_en.strip(), title_ja=title_ja.strip(), url=url.strip(), audience=audience,
                            published=False)
    session.add(mat)
    session.flush()
    audit.record(session, actor, "followup:material:add", f"material:{mat.id}",
                 {"measure": measure_uid, "agency": agency.code if agency else None, "url": mat.url})
    return mat


def _current(m: AwarenessMaterial) -> dict[str, Any]:
    return {"measure": m.measure.uid if m.measure else None, "agency": m.agency.code if m.agency else None,
            "title_en": m.title_en, "title_ja": m.title_ja, "url": m.url, "audience": m.audience}


def update_material(session: Session, actor: User | None, material: AwarenessMaterial,
                    values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change fields (those left out keep their value); returns {field: [before, after]} of what changed.
    A published material stays published: the portal shows the change at once."""
    _check(session, actor, material)
    if material.retired_at is not None:
        raise Conflict("retired material is kept as it was; add it anew")
    before = _current(material)
    merged = {**before, **values}
    if values.get("agency") == "":
        merged["agency"] = None
    problems, measure, agency = _validate(session, merged)
    if problems:
        raise InvalidInput(problems)
    agency = _officer_scope(_officer_agency(session, actor), measure, agency)
    material.measure_id, material.agency_id = (measure.id if measure else None), (agency.id if agency else None)
    for k in ("title_en", "title_ja", "url"):
        setattr(material, k, str(merged[k] or "").strip())
    material.audience = merged["audience"]
    session.flush()
    session.refresh(material)
    changes = {k: [before[k], v] for k, v in _current(material).items() if before[k] != v}
    if changes:
        audit.record(session, actor, "followup:material:edit", f"material:{material.id}", {"changes": changes})
    return changes


def set_published(session: Session, actor: User | None, material: AwarenessMaterial, published: bool) -> AwarenessMaterial:
    """Show material on the portal, or take it off (it stays a draft that can be published again)."""
    _check(session, actor, material)
    if material.retired_at is not None:
        raise Conflict("retired material is not shown again; add it anew")
    if material.published != published:
        material.published = published
        session.flush()
        audit.record(session, actor, "followup:material:publish" if published else "followup:material:unpublish",
                     f"material:{material.id}")
    return material


def retire_material(session: Session, actor: User | None, material: AwarenessMaterial, reason: str = "") -> AwarenessMaterial:
    """Withdraw material for good (the ministry took it down, or it is out of date); it is kept for the record."""
    _check(session, actor, material)
    if material.retired_at is None:
        material.published = False
        material.retired_at = utcnow()
        material.retired_by = actor.username if actor else "cli"
        session.flush()
        audit.record(session, actor, "followup:material:retire", f"material:{material.id}", {"reason": reason.strip()})
    return material
